"""The restore drill of docs/operations.md, for real: the demo database is dumped with
`pg_dump -Fc`, restored with `pg_restore` into a fresh PostgreSQL database, and
`manage.py check_consistency` passes on it; then the restored copy is damaged the three ways
the check looks for (a chat head off its event log, an orphaned row, a sequence behind its
ids) and the check names each one."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg
import pytest

from tests.chat.faultkit import Database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.fault, pytest.mark.postgres]


def manage(env, *args, check=True):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def databases(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    source = Database(tmp_path, name=f"village_backup_src_{os.getpid()}")
    target = Database(tmp_path, name=f"village_backup_dst_{os.getpid()}")
    try:
        yield source, target
    finally:
        source.drop()
        target.drop()


def env_for(db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(DATABASE_URL=db.url, DEBUG="1", VILLAGE_VAR_DIR=str(tmp_path / "var"),
               DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("REDIS_URL", None)
    return env


def pg_args(url: str) -> list[str]:
    u = urllib.parse.urlsplit(url)
    return ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or
            "postgres"]


def test_a_dump_of_the_demo_restores_whole(databases, tmp_path):
    source, target = databases
    src_env = env_for(source, tmp_path)
    manage(src_env, "migrate", "--noinput", "-v0")
    manage(src_env, "seed_demo")

    dump = tmp_path / "village.dump"
    subprocess.run(["pg_dump", "-Fc", *pg_args(source.url), "-f", str(dump), source.name],
                   check=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *pg_args(target.url),
                    "-d", target.name, str(dump)], check=True, timeout=300)

    dst_env = env_for(target, tmp_path)
    result = manage(dst_env, "check_consistency")
    assert result.stdout.startswith("Consistent:"), result.stdout
    assert " 0 sequences" not in result.stdout  # PostgreSQL's sequences were looked at

    with psycopg.connect(target.url, autocommit=True) as conn:
        rooms = conn.execute("SELECT count(*) FROM chat_room").fetchone()[0]
        assert rooms > 0
        conn.execute("UPDATE chat_room SET last_seq = last_seq + 3")
        conn.execute("SET session_replication_role = replica")  # foreign keys off, as a
        conn.execute(                                           # careless restore would
            "UPDATE groups_membership SET user_id = 999999 "
            "WHERE id = (SELECT min(id) FROM groups_membership)"
        )
        conn.execute("SELECT setval(pg_get_serial_sequence('groups_group', 'id'), 1)")

    result = manage(dst_env, "check_consistency", check=False)
    assert result.returncode != 0
    err = result.stderr
    assert err.count("its sequence head is") == rooms, err
    assert "groups.Membership.user: 1 row(s) point at a missing accounts.User." in err, err
    assert "groups.Group: its id sequence would give 2" in err, err

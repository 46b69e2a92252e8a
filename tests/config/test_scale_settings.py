"""Settings for growing Village (docs/scale/large.md): channel layers sharded over several Redis
servers, and PostgreSQL behind PgBouncer. Each is read in a fresh process, as a server would."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_with(**env: str) -> dict:
    code = (
        "import json; from config.settings import base as s; "
        "print(json.dumps({'layers': s.CHANNEL_LAYERS, 'db': s.DATABASES['default'], "
        "'cache': s.CACHES['default'].get('LOCATION')}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VILLAGE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_channel_layers_shard_over_the_listed_redis_servers_and_the_cache_stays():
    shards = "redis://127.0.0.1:6390/0,redis://127.0.0.1:6391/0"
    s = settings_with(REDIS_URL="redis://127.0.0.1:6390/0", VILLAGE_CHANNEL_REDIS_URLS=shards)
    for layer in ("default", "rooms"):
        assert s["layers"][layer]["CONFIG"]["hosts"] == shards.split(",")
    assert s["cache"] == "redis://127.0.0.1:6390/0"


def test_one_redis_by_default():
    s = settings_with(REDIS_URL="redis://127.0.0.1:6390/0")
    assert s["layers"]["rooms"]["CONFIG"]["hosts"] == ["redis://127.0.0.1:6390/0"]


def test_behind_pgbouncer_no_server_side_cursors_or_prepared_statements():
    url = "postgres://village@127.0.0.1:6432/village"
    plain = settings_with(DATABASE_URL=url)["db"]
    assert not plain.get("DISABLE_SERVER_SIDE_CURSORS")
    pooled = settings_with(DATABASE_URL=url, VILLAGE_PGBOUNCER="1")["db"]
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["OPTIONS"]["prepare_threshold"] is None

"""Server CPU and queries for one chat send, measured on its own (not a test, not the bench).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/village_prof \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/profile_send.py [--profile]

Creates the database if needed (a group of 25 members), then sends messages through
`chat.protocol.handle` exactly as a consumer's worker thread does: the broadcast goes to an
event loop running in another thread of this process (as in the server), so
`time.process_time()` counts it. Prints CPU per send and the queries of one send.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REDIS_PREFIX", "village-prof")
os.environ.setdefault("CHAT_RATE_LIMIT_COUNT", "1000")  # the limit is still hit and counted


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=600)
    p.add_argument("--profile", action="store_true")
    p.add_argument(
        "--recheck",
        action="store_true",
        help="check permission afresh for every send (as when a member sends every 10 s)",
    )
    p.add_argument(
        "--age",
        type=float,
        default=0.0,
        help="make each socket's last permission check this many seconds old before it sends "
        "(10 = a room where every member sends every 10 s, as in the bench)",
    )
    args = p.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor == "postgresql":
        _ensure_db()
    call_command("migrate", verbosity=0)

    from asgiref.sync import SyncToAsync

    from chat import protocol
    from groups.models import Group, Membership

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    SyncToAsync.threadlocal.main_event_loop = loop
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()

    from django.contrib.auth import get_user_model

    User = get_user_model()
    group, _ = Group.objects.get_or_create(slug="prof", defaults={"name": "Profile group"})
    users = []
    for i in range(25):
        u, _ = User.objects.get_or_create(
            email=f"prof{i}@example.com", defaults={"display_name": f"Prof {i}"}
        )
        Membership.objects.get_or_create(group=group, user=u, defaults={"status": "active"})
        users.append(u)
    sessions = [protocol.connect(u, "prof") for u in users]
    assert all(isinstance(s, protocol.Session) for s in sessions), sessions

    def send(i: int) -> None:
        s = sessions[i % len(sessions)]
        if args.recheck:
            s.forget_access()
        elif args.age and s.checked_at:
            s.checked_at = time.monotonic() - args.age
        out = protocol.handle(
            s, {"type": "send", "client_id": str(uuid.uuid4()), "body": f"hello there {i}"}
        )
        assert out.frames and out.frames[0]["type"] == "ack", out.frames

    for i in range(50):  # warm up (and let the permission checks be cached, as in a room)
        send(i)
    time.sleep(0.2)
    with CaptureQueriesContext(connection) as q:
        send(0)
    print(f"queries per send: {len(q.captured_queries)}")
    for x in q.captured_queries:
        print("   ", x["sql"][:150])
    n = args.n
    prof = cProfile.Profile() if args.profile else None
    t0, w0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    for i in range(n):
        send(i)
        if i % 10 == 9:
            time.sleep(0.05)  # the rate limit is per member; keep under it as a room would
    if prof:
        prof.disable()
    time.sleep(0.3)  # let the loop finish the last broadcasts
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    print(f"{n} sends: {cpu / n * 1000:.2f} ms CPU per send (wall {wall:.1f} s)")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


def _ensure_db() -> None:
    import psycopg
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

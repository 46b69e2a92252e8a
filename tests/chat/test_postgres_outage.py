"""PostgreSQL away for 10 seconds during sends, for real: two daphne processes reach the
database through a TCP proxy (tests/chat/faultkit.py) that the test kills and starts again.

Senders get a retriable `unavailable` answer and keep their text (the client's outbox sends it
again with the same id); afterwards every message is stored exactly once and every client holds
the database's history; no server logs an unhandled exception or anything at ERROR.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse

import pytest

from tests.chat.faultkit import (
    ChatClient,
    TcpProxy,
    converge,
    db_head_matches,
    module_database,
    stack_for_test,
)

pytestmark = pytest.mark.fault

OUTAGE_SECONDS = 10
CONVERGE_TIMEOUT = 90


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


async def test_postgres_restarted_during_sends_nothing_lost_nothing_twice(stack):
    if not stack.db.is_postgres:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    url = urllib.parse.urlsplit(stack.db.url)
    proxy = TcpProxy(url.port or 5432).start()
    via_proxy = url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}")
    env = {"DATABASE_URL": urllib.parse.urlunsplit(via_proxy)}
    room = stack.make_room("pg-outage", 4)
    servers = [stack.start_server(extra_env=env), stack.start_server(extra_env=env)]
    clients = [ChatClient(f"c{i}", room.users[i]["session"], room.path) for i in range(4)]
    try:
        for i, c in enumerate(clients):
            await c.connect(servers[i % 2])
        for c in clients:
            await c.send(f"before from {c.name}")
        await converge(clients, servers, lambda c: c.last_seq >= 4, CONVERGE_TIMEOUT, "before")

        proxy.kill()
        started = time.monotonic()
        during = 0
        while time.monotonic() - started < OUTAGE_SECONDS:
            for c in clients:
                if c.connected:
                    await c.send(f"during {during} from {c.name}")
                    during += 1
            await asyncio.sleep(2)  # pacing the members' typing, not waiting for an event
        # Told to try again, text kept: nothing was acknowledged that is not stored.
        codes = {e.get("code") for c in clients for e in c.errors}
        assert codes <= {"unavailable"}, codes
        assert "unavailable" in codes
        assert all(c.outbox for c in clients if c.connected)

        proxy.start()
        total = 4 + during
        await converge(
            clients,
            servers,
            lambda c: not c.outbox and c.last_seq >= total,
            CONVERGE_TIMEOUT,
            "after the database came back",
        )
        history = db_head_matches(stack, room, clients)
        assert len(history) == total
        client_ids = [cid for _, _, cid in history]
        assert len(set(client_ids)) == len(client_ids), "each message stored exactly once"
        for server in servers:
            log = server.log.read_text()
            assert "Traceback" not in log and " ERROR " not in log, log[-4000:]
    finally:
        for c in clients:
            await c.close()
        proxy.kill()

"""A slow database never turns a socket away at the door (issue 11, the reconnect storm).

daphne refuses a websocket handshake the application has not answered within
`--websocket_connect_timeout` (5 s by default) as a bare HTTP 403, which a client cannot tell
from "you may not come in". In a reconnect storm the log-in check of the last sockets waits
behind everyone else's, and 1,585 of 2,000 sockets were refused that way. Here the database is
made slow for real: the test holds a lock on the session table for longer than the server's
connect timeout while a member's socket opens. The socket must be answered at once and then
resume normally once the database answers; nothing is logged at ERROR.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.chat.faultkit import ChatClient, module_database, stack_for_test

pytestmark = pytest.mark.fault

CONNECT_TIMEOUT = 1  # daphne's --websocket_connect_timeout for this server
LOCK_SECONDS = 3


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


async def test_a_socket_opened_while_the_database_is_slow_is_answered_and_resumes(stack):
    if not stack.db.is_postgres:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    import psycopg

    room = stack.make_room("slow-door", 2)
    server = stack.start_server(
        extra_args=["--websocket_connect_timeout", str(CONNECT_TIMEOUT)]
    )
    writer = ChatClient("writer", room.users[0]["session"], room.path)
    late = ChatClient("late", room.users[1]["session"], room.path)
    await writer.connect(server)
    await writer.send("hello before the slow moment")

    lock = await psycopg.AsyncConnection.connect(stack.db.url)
    try:
        await lock.execute("BEGIN")
        await lock.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        opening = asyncio.create_task(late.connect(server, timeout=LOCK_SECONDS + 10))
        await asyncio.sleep(LOCK_SECONDS)  # longer than the server's connect timeout
        assert not opening.done() or opening.exception() is None, opening.exception()
        await lock.execute("COMMIT")
    finally:
        await lock.close()
    await opening  # before the fix: websockets.InvalidStatus (HTTP 403) after one second
    assert late.connected
    assert late.has_body("hello before the slow moment")
    await writer.close()
    await late.close()
    log = server.log.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-4000:]


async def test_a_socket_opened_while_the_database_is_away_is_told_to_try_again(stack):
    """Not a bare 403 (which says "not allowed") and nothing at ERROR: a 4013 close, and the
    same socket opens normally once the database is back."""
    if not stack.db.is_postgres:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    import urllib.parse

    from tests.chat.faultkit import Closed, TcpProxy

    url = urllib.parse.urlsplit(stack.db.url)
    proxy = TcpProxy(url.port or 5432).start()
    via_proxy = url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}")
    room = stack.make_room("away-door", 1)
    server = stack.start_server(extra_env={"DATABASE_URL": urllib.parse.urlunsplit(via_proxy)})
    member = ChatClient("member", room.users[0]["session"], room.path)
    proxy.kill()
    try:
        with pytest.raises(Closed):
            await member.connect(server, timeout=10)
        assert member.close_codes[-1] == 4013, member.close_codes
    finally:
        proxy.start()
    for _ in range(20):  # the client's backoff, shortened
        try:
            await member.connect(server, timeout=10)
            break
        except Closed:
            await asyncio.sleep(0.5)
    assert member.connected
    await member.close()
    log = server.log.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-4000:]

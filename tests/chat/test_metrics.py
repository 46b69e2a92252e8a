"""Prometheus metrics of sockets (issue 16): after a real chat exchange, the counters moved
by the right amounts. tests/metrics_support.py says where the numbers are read."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from config.metrics import SocketMetrics
from tests.factories import UserFactory, login_session
from tests.metrics_support import value

from .conftest import APP, Client, db_async

pytestmark = pytest.mark.django_db(transaction=True)


class CountedClient(Client):
    """The chat test client, through the same socket counter config/asgi.py puts first."""

    def __init__(self, user, group):
        super().__init__(user, group)
        self.comm = WebsocketCommunicator(SocketMetrics(APP), f"/ws/groups/{group.slug}/chat/")
        self.comm.scope["user"] = user


async def test_a_chat_exchange_moves_the_socket_counters(group, member, make_client):
    other = await db_async(UserFactory)(display_name="Other")
    await db_async(group.memberships.create)(user=other, role="member", status="active")
    open_before = value("village_websockets_open", kind="chat")
    frames_before = value("village_websocket_frames_sent_total", kind="chat")
    hellos_before = {o: value("village_chat_hellos_total", outcome=o) for o in ("reset", "resumed")}

    a, b = CountedClient(member, group), CountedClient(other, group)
    await a.connect()
    await b.connect()
    assert value("village_websockets_open", kind="chat") == open_before + 2
    ack = await a.message("Has anyone tried the library's baby rhyme time?")
    assert ack["type"] == "ack"
    await a.until("message.created")
    await b.until("message.created")
    await a.close()
    await b.close()
    assert value("village_websockets_open", kind="chat") == open_before

    # Every frame either client received was counted once, and nothing else.
    received = len(a.seen) + len(b.seen)
    assert value("village_websocket_frames_sent_total", kind="chat") == frames_before + received
    hellos = {
        o: value("village_chat_hellos_total", outcome=o) - n for o, n in hellos_before.items()
    }
    assert sum(hellos.values()) == 2

    # Coming back after the message: a resume from the event log.
    c = CountedClient(other, group)
    c.comm.scope["session_key"] = await db_async(login_session)(other)
    await c.connect(hello=ack["seq"] - 1)
    assert value("village_chat_hellos_total", outcome="resumed") == (
        hellos_before["resumed"] + hellos["resumed"] + 1
    )
    await c.close()


async def test_socket_refusals_are_counted_by_frame_type(group, member, settings):
    settings.VILLAGE = {**settings.VILLAGE, "SOCKET_LIMITS": {"hello": (1, 60)}}
    before = value("village_rate_limit_refusals_total", where="socket_hello")
    c = CountedClient(member, group)
    await c.connect()
    await c.send({"type": "hello", "last_seq": 0})
    [frame] = await c.until("error")
    assert frame["code"] == "rate_limited"
    assert value("village_rate_limit_refusals_total", where="socket_hello") == before + 1
    await c.close()

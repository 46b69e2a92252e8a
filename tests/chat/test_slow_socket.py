"""A socket whose client stopped reading: once the server's buffers for it are full, the ASGI
server's `send` waits (uvicorn does; daphne buffers in Twisted instead). That wait must stay
with that socket: the room's fanout serves every socket of the process in the room, and what
piles up for the stuck socket is capped (then it is closed as "try again later" and resumes
from its last seq when it reads again)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from chat import consumers, fanout
from realtime.names import room_group
from tests.chat.conftest import send_message
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def consumer_of(user_id: int, room_id: int):
    hub = fanout.hub_for(get_channel_layer())
    sub = hub.subs[room_group(room_id)]
    (consumer,) = [c for c in sub.members if c.session.user_id == user_id]
    return consumer


def stall(consumer) -> asyncio.Event:
    """From now on the consumer's frames wait (like a full TCP window) until the returned
    event is set; closing still goes through."""
    real_send = consumer.base_send
    unblocked = asyncio.Event()

    async def send(message):
        if message["type"] == "websocket.send":
            await unblocked.wait()
        await real_send(message)

    consumer.base_send = send
    return unblocked


async def test_a_stuck_socket_does_not_hold_up_the_others_in_its_room(group, room, make_client):
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(3)])()
    stuck, reader = make_client(users[0], group), make_client(users[1], group)
    await stuck.connect()
    await reader.connect()
    unblock = stall(consumer_of(users[0].pk, room.pk))
    try:
        for n in range(3):
            await db(send_message)(users[2], room, f"while one socket is stuck {n}")
            frames = await reader.until("message.created")
            assert frames[-1]["message"]["body"] == f"while one socket is stuck {n}"
    finally:
        unblock.set()
    # Once its client reads again, the stuck socket gets everything, in order.
    bodies = []
    while len(bodies) < 3:
        frames = await stuck.until("message.created")
        bodies.append(frames[-1]["message"]["body"])
    assert bodies == [f"while one socket is stuck {n}" for n in range(3)]


async def test_what_waits_for_a_stuck_socket_is_capped_then_it_is_closed_to_resume(
    group, room, make_client, monkeypatch
):
    monkeypatch.setattr(consumers, "MAX_OUTBOX", 3)
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    stuck, reader = make_client(users[0], group), make_client(users[1], group)
    await stuck.connect()
    await reader.connect()
    consumer = consumer_of(users[0].pk, room.pk)
    stall(consumer)
    for n in range(6):
        await db(send_message)(users[1], room, f"piling up {n}")
        await reader.until("message.created")
    closed = await stuck.until("__closed__")
    assert closed[-1]["code"] == 1013  # "try again later": the client resumes from its seq
    assert len(consumer.outbox) <= 3
    # The others carry on.
    await db(send_message)(users[1], room, "after the stuck socket went")
    assert (await reader.until("message.created"))[-1]["message"]["body"] == (
        "after the stuck socket went"
    )

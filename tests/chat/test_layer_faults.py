"""The channel layer is at-most-once and may duplicate: clients still get the database's
history exactly, in order (the consumer drops duplicates and fills gaps from the log)."""

from __future__ import annotations

import random
import uuid

import pytest
from channels.db import database_sync_to_async as db

from chat import services
from chat.events import room_layer
from chat.models import Room
from tests.chat.clientstate import ClientState, db_snapshot
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def produce(room, authors, n):
    for i in range(n):
        author = authors[i % len(authors)]
        m = services.message_send(
            user=author, room=room, body=f"note {i}", client_id=uuid.uuid4()
        ).message
        if i % 4 == 1:
            services.reaction_toggle(user=authors[0], room=room, message_id=m.pk, emoji="heart")
        if i % 6 == 2:
            services.message_edit(user=author, room=room, message_id=m.pk, body=f"note {i}!")
        if i % 9 == 4:
            services.message_delete(user=author, room=room, message_id=m.pk)


async def test_lossy_duplicating_layer_clients_converge(
    group, room, make_client, settings, monkeypatch
):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_HEARTBEAT_SECONDS": 0.2}
    layer = room_layer()
    original = layer.group_send
    rng = random.Random(1234)
    stats = {"dropped": 0, "duplicated": 0}

    async def flaky(group_name, message):
        if message.get("type") == "room.event":
            r = rng.random()
            if r < 0.10:
                stats["dropped"] += 1
                return
            if r < 0.55:
                stats["duplicated"] += 1
                await original(group_name, message)
        await original(group_name, message)

    monkeypatch.setattr(layer, "group_send", flaky)
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(4)])()
    clients = [make_client(u, group) for u in users[:2]]
    states = [ClientState(), ClientState()]
    for c, s in zip(clients, states, strict=True):
        for f in await c.connect():
            s.apply(f)

    await db(produce)(room, users[2:], 80)
    head = await db(lambda: Room.objects.get(pk=room.pk).last_seq)()
    assert stats["dropped"] > 3 and stats["duplicated"] > 10

    for c, s in zip(clients, states, strict=True):
        seqs = []
        while s.seq < head:
            f = await c.recv(5)
            assert f["type"] != "__closed__"
            if isinstance(f.get("seq"), int) and f["type"] != "ack":
                seqs.append(f["seq"])
            s.apply(f)  # asserts there is never a gap
        assert seqs == list(range(1, head + 1)), "every event exactly once, in order"
    truth = await db(db_snapshot)(room, users[0].pk)
    assert states[0].snapshot() == states[1].snapshot() == truth


async def test_last_broadcast_lost_is_caught_by_heartbeat(
    group, room, make_client, settings, monkeypatch
):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_HEARTBEAT_SECONDS": 0.2}
    layer = room_layer()
    original = layer.group_send

    async def drop_room_events(group_name, message):
        if message.get("type") != "room.event":
            await original(group_name, message)

    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    c = make_client(users[0], group)
    s = ClientState()
    for f in await c.connect():
        s.apply(f)
    monkeypatch.setattr(layer, "group_send", drop_room_events)
    await db(services.message_send)(user=users[1], room=room, body="lost", client_id=uuid.uuid4())
    while s.seq < 1:
        s.apply(await c.recv(3))
    assert [m["body"] for m in s.messages.values()] == ["lost"]


async def test_layer_failure_closes_with_retriable_code(member, group, make_client, monkeypatch):
    c = make_client(member, group)
    await c.connect()
    layer = room_layer()

    async def broken(*args, **kwargs):
        raise ConnectionError("redis went away")

    monkeypatch.setattr(layer, "group_send", broken)
    await c.send({"type": "typing"})
    closed = await c.until("__closed__")
    assert closed[-1]["code"] == 1013


async def test_layer_failure_on_connect_closes_with_retriable_code(
    member, group, make_client, monkeypatch
):
    layer = room_layer()

    async def broken(*args, **kwargs):
        raise ConnectionError("redis went away")

    monkeypatch.setattr(layer, "group_add", broken)
    c = make_client(member, group)
    await c.comm.connect()
    assert (await c.recv())["code"] == 1013


async def test_layer_receive_failure_closes_every_socket_with_retriable_code(
    group, room, make_client, monkeypatch
):
    """Redis went away under the process's room subscription: every local socket of the room
    closes with 1013 (the client reconnects with backoff), none stays open and deaf, and
    Channels never gets to crash a socket with 1011."""
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    a, b = make_client(users[0], group), make_client(users[1], group)
    await a.connect()
    await b.connect()
    layer = room_layer()
    original = layer.receive

    async def broken(channel):
        raise ConnectionError("redis went away")

    monkeypatch.setattr(layer, "receive", broken)
    # Wake the waiting subscription: its next receive takes the broken path.
    wake = {"type": "chat.presence", "text": '{"type":"presence","members":[]}'}
    await layer.group_send(f"room.{room.pk}", wake)
    for c in (a, b):
        closed = await c.until("__closed__")
        assert closed[-1]["code"] == 1013
    assert original is not None

"""The channel layer is at-most-once and may duplicate: clients still get the database's
history exactly, in order (the consumer drops duplicates and fills gaps from the log)."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from chat import services
from chat.models import Room
from realtime.names import room_layer
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


@pytest.fixture
def quick_offline(monkeypatch):
    """Short offline beats and re-join waits, so the tests' bounded waits stay small."""
    from chat import fanout

    monkeypatch.setattr(fanout, "OFFLINE_BEAT_SECONDS", 0.2)
    monkeypatch.setattr(fanout, "REJOIN_FIRST_SECONDS", 0.1)
    monkeypatch.setattr(fanout, "REJOIN_MAX_SECONDS", 0.2)


async def _until_body(client, state, body, timeout=5.0):
    while body not in [m["body"] for m in state.messages.values()]:
        f = await client.recv(timeout)
        assert f["type"] != "__closed__", f
        state.apply(f)


def broken(*args, **kwargs):
    async def fail(*a, **k):
        raise ConnectionError("redis went away")

    return fail


async def test_a_failing_send_leaves_the_socket_open(
    group, room, make_client, settings, monkeypatch
):
    """Typing and the room's broadcasts fail to send: the socket stays open, and the message
    arrives from the database at the next heartbeat."""
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_HEARTBEAT_SECONDS": 0.2}
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    c, s = make_client(users[0], group), ClientState()
    for f in await c.connect():
        s.apply(f)
    monkeypatch.setattr(room_layer(), "group_send", broken())
    await c.send({"type": "typing"})
    await db(services.message_send)(user=users[1], room=room, body="hi", client_id=uuid.uuid4())
    await _until_body(c, s, "hi")


async def test_layer_down_at_connect_the_socket_opens_and_reads_the_database(
    group, room, make_client, monkeypatch, quick_offline
):
    """Redis is away when the member opens the room: they are let in, get the history, get new
    messages from the database while it is away, and live ones again once it is back."""
    layer = room_layer()
    original = layer.group_add
    monkeypatch.setattr(layer, "group_add", broken())
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    await db(services.message_send)(user=users[1], room=room, body="old", client_id=uuid.uuid4())
    c, s = make_client(users[0], group), ClientState()
    for f in await c.connect():
        s.apply(f)
    assert [m["body"] for m in s.messages.values()] == ["old"]
    await db(services.message_send)(user=users[1], room=room, body="new", client_id=uuid.uuid4())
    await _until_body(c, s, "new")
    # Redis is back: the subscription joins again on its own, and live delivery resumes.
    from chat import fanout

    monkeypatch.setattr(layer, "group_add", original)
    sub = fanout.hub_for(get_channel_layer()).subs[f"room.{room.pk}"]  # keyed by the default layer
    for _ in range(100):
        if not sub.offline:
            break
        await asyncio.sleep(0.05)
    assert not sub.offline
    monkeypatch.setattr(fanout, "OFFLINE_BEAT_SECONDS", 60.0)  # nothing polls from now on
    await db(services.message_send)(user=users[1], room=room, body="live", client_id=uuid.uuid4())
    await _until_body(c, s, "live", timeout=3)
    assert s.seq == 3


async def test_layer_receive_failure_keeps_every_socket_and_the_database_carries_on(
    group, room, make_client, monkeypatch, quick_offline
):
    """Redis went away under the process's room subscription: no local socket is closed (nor
    crashed with 1011); each gets the next message from the database, in order."""
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(3)])()
    a, b = make_client(users[0], group), make_client(users[1], group)
    sa, sb = ClientState(), ClientState()
    for c, st in ((a, sa), (b, sb)):
        for f in await c.connect():
            st.apply(f)
    layer = room_layer()
    monkeypatch.setattr(layer, "receive", broken())
    monkeypatch.setattr(layer, "group_add", broken())  # and it stays away for now
    # Wake the waiting subscription: its next receive takes the broken path.
    wake = {"type": "chat.presence", "text": '{"type":"presence","members":[]}'}
    await layer.group_send(f"room.{room.pk}", wake)
    await db(services.message_send)(user=users[2], room=room, body="after", client_id=uuid.uuid4())
    for c, st in ((a, sa), (b, sb)):
        await _until_body(c, st, "after")
    assert sa.snapshot() == sb.snapshot()

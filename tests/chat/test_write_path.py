"""Writing a message is one short transaction, the same size whatever the room's history."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from config.sharedcache import count_hit
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _send(user, room, body="Anyone at the park later?"):
    return services.message_send(user=user, room=room, body=body, client_id=uuid.uuid4())


def test_send_is_one_transaction_of_constant_size(django_assert_num_queries):
    sam = MembershipFactory()
    priya = MembershipFactory(group=sam.group)
    room = services.room_for_group(sam.group_id)
    _send(sam.user, room)
    with CaptureQueriesContext(connection) as ctx:
        _send(priya.user, room)
    sql = [q["sql"] for q in ctx.captured_queries]
    # inside the test's own transaction, the send's atomic block is one savepoint
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert sum(s.startswith("RELEASE SAVEPOINT") for s in sql) == 1
    if connection.vendor == "postgresql":
        # One statement: the room's head (locks it, takes the seq), the message, the event.
        assert len(sql) == 3  # and nothing else: no client-id lookup, no reads at all
        one = sql[1]
        assert one.startswith("WITH s AS (UPDATE") and "RETURNING last_seq" in one
        assert 'INSERT INTO "chat_message"' in one and 'INSERT INTO "chat_roomevent"' in one
    else:
        writes = [s for s in sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        assert len(writes) == 3  # the room's head (locks it, takes the seq), message, event
        assert sql[1].startswith("UPDATE") and "RETURNING" in sql[1]
        assert len(sql) == 5  # and nothing else: no client-id lookup, no reads at all
    assert not [s for s in sql if "chat_reaction" in s]  # a new message has none to read
    assert not [s for s in sql if "moderation_" in s]  # the watch lists are kept in the process
    small = len(sql)

    for i in range(150):
        _send((sam, priya)[i % 2].user, room, f"message {i}")
    with django_assert_num_queries(small):
        _send(priya.user, room)


def test_a_resend_is_acked_even_when_the_limit_is_reached(settings):
    """The outbox re-sends after a reconnect: what was stored is acked, not refused."""
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RATE_LIMIT_COUNT": 3}
    sam = MembershipFactory()
    room = services.room_for_group(sam.group_id)
    first_id = uuid.uuid4()
    first = services.message_send(user=sam.user, room=room, body="one", client_id=first_id)
    _send(sam.user, room, "two")
    _send(sam.user, room, "three")
    with pytest.raises(services.ChatError) as refused:
        _send(sam.user, room, "four")
    assert refused.value.code == "rate_limited"
    again = services.message_send(user=sam.user, room=room, body="one", client_id=first_id)
    assert not again.created
    assert (again.message.pk, again.message.seq) == (first.message.pk, first.message.seq)
    assert room.messages.count() == 3


def test_a_sequential_resend_leaves_no_hole_in_the_sequence():
    sam = MembershipFactory()
    room = services.room_for_group(sam.group_id)
    cid = uuid.uuid4()
    first = services.message_send(user=sam.user, room=room, body="hi", client_id=cid)
    again = services.message_send(user=sam.user, room=room, body="hi", client_id=cid)
    assert not again.created and again.message.pk == first.message.pk
    nxt = _send(sam.user, room, "next")
    assert nxt.message.seq == first.message.seq + 1
    room.refresh_from_db()
    assert room.last_seq == nxt.message.seq
    assert list(room.events.values_list("seq", flat=True).order_by("seq")) == [
        first.message.seq,
        nxt.message.seq,
    ]


def test_count_hit_counts_within_its_window():
    from django.core.cache import cache

    key = f"test:hits:{uuid.uuid4()}"
    assert [count_hit(key, 5) for _ in range(3)] == [1, 2, 3]
    cache.delete(key)
    assert count_hit(key, 5) == 1


def test_worker_threads_share_one_cache_client():
    """Django's `cache` is per async context (a client and a Redis pool per socket's task);
    the hot paths use one client for the whole process."""
    import asyncio

    from asgiref.sync import sync_to_async

    from config.sharedcache import shared_cache

    async def one_socket():
        return await sync_to_async(shared_cache)()

    async def many():
        return await asyncio.gather(*(asyncio.create_task(one_socket()) for _ in range(5)))

    clients = asyncio.run(many())
    assert len({id(c) for c in clients}) == 1


def test_the_stored_rows_are_what_the_models_say():
    """On PostgreSQL the send is one hand-built statement (chat.services._store_new_message):
    its rows must be exactly what the ORM would have stored, every field."""
    from chat.models import Message, RoomEvent

    sam = MembershipFactory()
    room = services.room_for_group(sam.group_id)
    first = _send(sam.user, room, "first").message
    cid = uuid.uuid4()
    sent = services.message_send(
        user=sam.user,
        room=room,
        body="a reply\nwith two lines",
        client_id=cid,
        reply_to_id=first.pk,
    ).message
    stored = Message.objects.get(pk=sent.pk)
    for f in Message._meta.concrete_fields:
        assert getattr(stored, f.attname) == getattr(sent, f.attname), f.name
    assert (stored.seq, stored.client_id, stored.reply_to_id) == (2, cid, first.pk)
    assert stored.body == "a reply\nwith two lines" and stored.state == Message.State.VISIBLE
    event = RoomEvent.objects.get(room=room, seq=2)
    assert (event.type, event.message_id, event.actor_id, event.data) == (
        RoomEvent.Type.MESSAGE_CREATED,
        sent.pk,
        sam.user_id,
        {},
    )
    room.refresh_from_db()
    assert room.last_seq == 2

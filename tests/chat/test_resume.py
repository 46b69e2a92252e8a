"""Resume: a client that was away ends in exactly the state of one that stayed connected."""

from __future__ import annotations

import contextlib
import random
import uuid

import pytest
from channels.db import database_sync_to_async as db
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import screening, services
from chat.models import Message, RoomEvent
from chat.selectors import resume_frames
from tests.chat.clientstate import ClientState, db_snapshot
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def drain_to(client, state: ClientState, head: int, timeout: float = 5) -> None:
    while state.seq < head:
        f = await client.recv(timeout)
        assert f["type"] != "__closed__", f
        if f["type"] in ("heartbeat",) and f["head"] > state.seq:
            continue
        state.apply(f)


def _react(user, room, message_id, emoji):
    with contextlib.suppress(services.ChatError):  # held or deleted: nothing to react to
        services.reaction_toggle(user=user, room=room, message_id=message_id, emoji=emoji)


def produce(room, authors, facilitator, n: int = 100, seed: int = 7) -> None:
    """Many messages plus edits, deletes, reactions, replies, a pin, hide/restore, a hold."""
    rng = random.Random(seed)
    sent: list[Message] = []

    def hold_marked(text, group_id, user_id):
        if "HOLDME" in text:
            return screening.Verdict(action=screening.Screen.HOLD, message="held")
        return screening.Verdict()

    screening.register_screener(hold_marked)
    try:
        for i in range(n):
            author = authors[i % len(authors)]
            reply = sent[rng.randrange(len(sent))].pk if sent and i % 5 == 0 else None
            body = f"message {i} from {author.display_name}" + (" HOLDME" if i == 17 else "")
            try:
                m = services.message_send(
                    user=author, room=room, body=body, client_id=uuid.uuid4(), reply_to_id=reply
                ).message
            except services.ChatError:
                m = services.message_send(
                    user=author, room=room, body=body, client_id=uuid.uuid4()
                ).message
            sent.append(m)
            if i % 7 == 3:
                _react(authors[(i + 1) % len(authors)], room, m.pk, "hug")
            if i % 11 == 5:
                services.message_edit(user=author, room=room, message_id=m.pk, body=f"edited {i}")
            if i % 13 == 6:
                services.message_delete(user=author, room=room, message_id=m.pk)
            if i % 17 == 8:
                _react(authors[(i + 1) % len(authors)], room, sent[i - 3].pk, "heart")
                _react(authors[(i + 2) % len(authors)], room, sent[i - 3].pk, "heart")
                _react(authors[(i + 1) % len(authors)], room, sent[i - 3].pk, "heart")
        sent = list(Message.objects.filter(room=room).order_by("id"))
        target = next(m for m in sent if m.deleted_at is None and m.state == "visible")
        services.message_pin(user=facilitator, room=room, message_id=target.pk)
        other_pin = next(m for m in reversed(sent) if m.deleted_at is None and m.state == "visible")
        services.message_pin(user=facilitator, room=room, message_id=other_pin.pk)
        services.message_pin(
            user=facilitator, room=room, message_id=other_pin.pk, pinned=False
        )
        services.room_set_slow_mode(user=facilitator, room=room, seconds=0 + 5)
        services.room_set_slow_mode(user=facilitator, room=room, seconds=0)
        victim = next(m for m in sent[30:] if m.deleted_at is None and m.state == "visible")
        services.message_set_state(message=victim, state=Message.State.HIDDEN, actor=facilitator)
        hidden_then_back = next(m for m in sent[40:] if m.deleted_at is None and m.pk != victim.pk)
        services.message_set_state(
            message=hidden_then_back, state=Message.State.HIDDEN, actor=facilitator
        )
        services.message_set_state(
            message=hidden_then_back, state=Message.State.VISIBLE, actor=facilitator
        )
        replied = next(m for m in sent if m.replies.exists() and m.deleted_at is None)
        services.message_edit(
            user=replied.author, room=room, message_id=replied.pk, body="changed after a reply"
        )
    finally:
        screening._screeners.remove(hold_marked)


@pytest.fixture
def cast(group, facilitator):
    a = MembershipFactory(group=group).user
    b = MembershipFactory(group=group).user
    others = [MembershipFactory(group=group).user for _ in range(3)]
    return a, b, others, facilitator


async def test_resume_equals_staying_connected(cast, group, room, make_client):
    a_user, b_user, others, fac = cast
    a, b = make_client(a_user, group), make_client(b_user, group)
    sa, sb = ClientState(), ClientState()
    for f in await a.connect():
        sa.apply(f)
    await db(services.message_send)(
        user=others[0], room=room, body="before", client_id=uuid.uuid4()
    )
    await drain_to(a, sa, 1)
    for f in await b.connect():
        sb.apply(f)
    assert sb.seq == 1
    await b.close()

    await db(produce)(room, others, fac)
    head = await db(lambda: type(room).objects.get(pk=room.pk).last_seq)()
    assert head > 130
    await drain_to(a, sa, head)

    b2 = make_client(b_user, group)
    for f in await b2.connect(hello=sb.seq):
        sb.apply(f)
    assert sb.seq == sa.seq == head
    assert sb.resets == 0
    assert sb.snapshot() == sa.snapshot()
    truth = await db(db_snapshot)(room, b_user.pk)
    assert sa.snapshot() == truth
    # every event type was exercised
    types = set(await db(lambda: list(RoomEvent.objects.values_list("type", flat=True)))())
    assert types == {t.value for t in RoomEvent.Type}
    # the held message is in neither member's view, and no frame carried its body
    held = await db(Message.objects.get)(state="held")
    assert held.pk not in sb.messages
    assert "HOLDME" not in repr(a.seen) + repr(b2.seen)


async def test_resume_beyond_the_cap_gets_a_reset(cast, group, room, make_client, settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RESUME_CAP": 20}
    a_user, b_user, others, fac = cast
    await db(produce)(room, others, fac, n=60)
    head = await db(lambda: type(room).objects.get(pk=room.pk).last_seq)()
    b = make_client(b_user, group)
    frames = await b.connect(hello=1)
    assert frames[-1]["type"] == "reset" and frames[-1]["head"] == head
    sb = ClientState(1)
    sb.apply(frames[-1])
    truth = await db(db_snapshot)(room, b_user.pk)
    latest = dict(list(truth.items())[-50:])
    assert sb.snapshot() == latest
    # a client claiming to be ahead of the room (the room was reset) also gets a reset
    await b.send({"type": "hello", "last_seq": head + 100})
    assert (await b.until("reset", "resume.done"))[-1]["type"] == "reset"


def test_resume_query_count_is_constant(cast, room, django_assert_num_queries):
    a_user, b_user, others, fac = cast
    produce(room, others, fac, n=45)

    def count(last_seq):
        with CaptureQueriesContext(connection) as ctx:
            frames = resume_frames(room=room, viewer_id=b_user.pk, last_seq=last_seq)
        assert frames[-1]["type"] == "resume.done"
        return len(ctx.captured_queries)

    small_head = type(room).objects.get(pk=room.pk).last_seq
    small = count(small_head - 10)
    assert small <= 10
    produce(room, others, fac, n=200, seed=9)
    head = type(room).objects.get(pk=room.pk).last_seq
    with django_assert_num_queries(small):
        frames = resume_frames(room=room, viewer_id=b_user.pk, last_seq=head - 200)
    assert frames[-1]["type"] == "resume.done"


def test_a_client_at_the_head_costs_one_small_query(cast, room, django_assert_num_queries):
    """Most connects (a page just loaded, a reconnect storm) are at the head already."""
    a_user, b_user, others, fac = cast
    produce(room, others, fac, n=45)
    head = type(room).objects.get(pk=room.pk).last_seq
    with django_assert_num_queries(1):
        frames = resume_frames(room=room, viewer_id=b_user.pk, last_seq=head)
    assert frames == [{"type": "resume.done", "head": head}]


def test_a_reset_does_not_load_the_cap_of_events_first(cast, room, settings):
    a_user, b_user, others, fac = cast
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RESUME_CAP": 20}
    produce(room, others, fac, n=45)
    with CaptureQueriesContext(connection) as ctx:
        frames = resume_frames(room=room, viewer_id=b_user.pk, last_seq=1)
    assert [f["type"] for f in frames] == ["reset"]
    assert not [q for q in ctx.captured_queries if "chat_roomevent" in q["sql"]]

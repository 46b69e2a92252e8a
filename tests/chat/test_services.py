"""Chat services: screening, mentions, moderation state changes, privacy, idempotency."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.conf import settings as dj_settings
from django.db import connection

from chat import screening, services
from chat.models import Mention, Message, Reaction, RoomEvent
from notifications.models import Kind, Notification
from realtime import names, sender
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Every channel-layer send after commit: [(group, message)]."""
    out: list[tuple[str, dict]] = []
    monkeypatch.setattr(sender, "send_now", lambda g, m, **kw: out.append((g, m)))
    return out


@pytest.fixture
def screener():
    registered = []

    def use(fn):
        screening.register_screener(fn)
        registered.append(fn)

    yield use
    for fn in registered:
        screening._screeners.remove(fn)


def send(user, room, body, **kw):
    return services.message_send(user=user, room=room, body=body, client_id=uuid.uuid4(), **kw)


def test_send_appends_event_and_broadcasts_once_after_commit(
    member, room, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = send(member, room, "hi there")
    m = result.message
    ev = RoomEvent.objects.get()
    assert (ev.seq, ev.type, ev.message_id, ev.data) == (1, "message.created", m.pk, {})
    room_sends = [s for s in sent if s[0] == names.room_group(room.pk)]
    assert len(room_sends) == 1
    frame = json.loads(room_sends[0][1]["text"])
    assert frame["seq"] == 1 and frame["message"]["body"] == "hi there"
    assert room_sends[0][1]["seq"] == 1


def test_block_stores_nothing_and_says_why(member, room, screener):
    screener(
        lambda t, g, u: screening.Verdict(screening.Screen.BLOCK, "Please leave out phone numbers.")
    )
    with pytest.raises(services.ChatError) as e:
        send(member, room, "call me 07700 900000")
    assert e.value.code == "blocked" and "phone numbers" in e.value.text
    assert Message.objects.count() == 0 and RoomEvent.objects.count() == 0


def test_hold_is_seen_only_by_its_author(
    member, room, sent, screener, django_capture_on_commit_callbacks
):
    screener(lambda t, g, u: screening.Verdict(screening.Screen.HOLD, "A moderator will look."))
    with django_capture_on_commit_callbacks(execute=True):
        m = send(member, room, "held words").message
    assert m.state == Message.State.HELD
    ((group, msg),) = [s for s in sent if s[0].startswith("room.")]
    assert json.loads(msg["text"]) == {"type": "skip", "seq": 1}
    assert "held words" not in msg["text"]
    mine = json.loads(msg["private"][str(member.pk)])
    assert mine["message"]["body"] == "held words" and mine["message"]["state"] == "held"


def test_crisis_offers_support_privately(
    member, room, sent, screener, django_capture_on_commit_callbacks
):
    screener(lambda t, g, u: screening.Verdict(crisis=True))
    with django_capture_on_commit_callbacks(execute=True):
        result = send(member, room, "I can't cope")
    assert result.crisis and result.message.state == Message.State.VISIBLE
    user_sends = [m for g, m in sent if g == names.user_group(member.pk)]
    assert user_sends == [
        {
            "type": "user.event",
            "topic": "chat",
            "event": {"type": "support.offer", "group_id": room.group_id},
        }
    ]


def test_after_send_hooks_run_inside_the_transaction(member, room):
    seen = []

    def hook(message, verdict):
        seen.append((message.pk, connection.in_atomic_block))

    screening.register_after_send(hook)
    try:
        m = send(member, room, "hello").message
    finally:
        screening._after_send.remove(hook)
    assert seen == [(m.pk, True)]


def test_mentions_notify_without_the_body(member, group, room):
    priya = MembershipFactory(group=group, user__display_name="Priya K").user
    MembershipFactory(group=group, user__display_name="Priya")  # a prefix of another name
    outsider = MembershipFactory(user__display_name="Sam").user  # another group
    m = send(member, room, "thanks @priya k for the tip, and @Sam too").message
    assert list(Mention.objects.values_list("user_id", flat=True)) == [priya.pk]
    n = Notification.objects.get()
    assert n.user_id == priya.pk and n.kind == Kind.MENTION
    assert "tip" not in n.title + n.body
    assert n.url.endswith(f"/groups/{group.slug}/chat/")
    assert not Notification.objects.filter(user=outsider).exists()
    assert m.pk


def test_set_state_hide_and_restore(
    member, moderator, room, sent, django_capture_on_commit_callbacks
):
    m = send(member, room, "something unkind").message
    with django_capture_on_commit_callbacks(execute=True):
        services.message_set_state(message=m, state=Message.State.HIDDEN, actor=moderator)
    frame = json.loads(sent[-1][1]["text"])
    # Everyone gets a placeholder in its place: no body, author or reactions.
    assert frame["type"] == "message.hidden" and frame["message_id"] == m.pk
    assert frame["message"]["state"] == "hidden" and frame["message"]["author"] is None
    assert frame["message"]["body"] == "" and frame["message"]["reactions"] == {}
    assert "unkind" not in sent[-1][1]["text"] and member.public_name not in sent[-1][1]["text"]
    # Its author still sees their words, marked hidden.
    mine = json.loads(sent[-1][1]["private"][str(member.pk)])
    assert mine["message"]["body"] == "something unkind" and mine["message"]["state"] == "hidden"
    with django_capture_on_commit_callbacks(execute=True):
        services.message_set_state(message=m, state=Message.State.VISIBLE, actor=moderator)
    frame = json.loads(sent[-1][1]["text"])
    assert frame["type"] == "message.restored" and frame["message"]["body"] == "something unkind"
    with django_capture_on_commit_callbacks(execute=True):
        services.message_set_state(message=m, state=Message.State.REMOVED, actor=moderator)
    ev = RoomEvent.objects.order_by("-seq").first()
    assert (ev.type, ev.data, ev.actor_id) == ("message.hidden", {"state": "removed"}, moderator.pk)
    # Removed is gone for everyone, its author included: just the id.
    gone = json.loads(sent[-1][1]["text"])
    assert gone == {"type": "message.hidden", "seq": 4, "message_id": m.pk}
    assert not sent[-1][1].get("private")
    with pytest.raises(ValueError):
        services.message_set_state(message=m, state=Message.State.HELD, actor=moderator)


def test_no_actions_on_hidden_messages(member, moderator, room):
    m = send(member, room, "x").message
    services.message_set_state(message=m, state=Message.State.HIDDEN, actor=moderator)
    for call in (
        lambda: services.reaction_toggle(user=member, room=room, message_id=m.pk, emoji="hug"),
        lambda: services.message_edit(user=member, room=room, message_id=m.pk, body="y"),
        lambda: send(member, room, "re", reply_to_id=m.pk),
    ):
        with pytest.raises(services.ChatError):
            call()


def test_privacy_export_and_erase(member, group, room):
    other = MembershipFactory(group=group).user
    m = send(member, room, "my words").message
    theirs = send(other, room, "their words").message
    services.reaction_toggle(user=member, room=room, message_id=theirs.pk, emoji="heart")
    from accounts import privacy

    exported = privacy.exporters()["chat"](member)
    assert [e["body"] for e in exported] == ["my words"]
    privacy.erasers()["chat"](member)
    m.refresh_from_db()
    assert m.author_id is None and m.body == "my words"
    assert not Reaction.objects.filter(user=member).exists()
    from chat.payloads import message_dict

    assert message_dict(m)["author"] == {"id": None, "name": "Former member"}


def test_resend_in_another_room_is_refused(member, group, room):
    from tests.factories import GroupFactory

    g2 = GroupFactory()
    MembershipFactory(group=g2, user=member)
    r2 = services.room_for_group(g2.pk)
    cid = uuid.uuid4()
    services.message_send(user=member, room=room, body="a", client_id=cid)
    with pytest.raises(services.ChatError):
        services.message_send(user=member, room=r2, body="a", client_id=cid)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_client_id_at_the_same_instant_stores_one_row(member, group, room):
    if not dj_settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL (SQLite serialises writers)")
    from django.db import connections

    others = [MembershipFactory(group=group).user for _ in range(3)]
    cid = uuid.uuid4()
    barrier = threading.Barrier(4)
    results: list = []
    errors: list = []

    def worker(user, client_id):
        try:
            barrier.wait(5)
            r = services.message_send(user=user, room=room, body="same", client_id=client_id)
            results.append((user.pk, r.message.pk, r.message.seq))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(member, cid)) for _ in range(2)]
    threads += [threading.Thread(target=worker, args=(u, uuid.uuid4())) for u in others[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    mine = [r for r in results if r[0] == member.pk]
    assert len(mine) == 2 and mine[0] == mine[1]
    assert Message.objects.filter(author=member).count() == 1
    seqs = list(RoomEvent.objects.filter(room=room).values_list("seq", flat=True))
    assert seqs == [1, 2, 3]


def test_edit_held_by_screening_disappears_for_others(
    member, room, sent, screener, django_capture_on_commit_callbacks
):
    m = send(member, room, "fine words").message
    screener(
        lambda t, g, u: screening.Verdict(
            screening.Screen.HOLD if "bad" in t else screening.Screen.ALLOW
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_edit(user=member, room=room, message_id=m.pk, body="bad words")
    msg = sent[-1][1]
    assert json.loads(msg["text"]) == {"type": "message.hidden", "seq": 2, "message_id": m.pk}
    mine = json.loads(msg["private"][str(member.pk)])
    assert mine["type"] == "message.edited" and mine["message"]["state"] == "held"

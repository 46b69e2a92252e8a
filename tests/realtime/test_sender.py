"""realtime.sender: one way to send, after commit; a failing layer is logged once (and never
with what was sent); one member or a batch; each per-user event names its topic, and a chat
socket re-checks its access only for the topics that can change it."""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer
from django.db import transaction

from chat import fanout
from realtime import events, sender
from realtime.events import Topic, UserEvent
from realtime.names import room_group, user_group

SECRET = "I can't cope tonight"


class BrokenLayer:
    def __init__(self):
        self.calls = 0

    async def group_send(self, group, message):
        self.calls += 1
        raise ConnectionError(f"redis down while sending {message!r}")


@pytest.mark.django_db
def test_a_failing_layer_is_logged_once_without_what_was_sent(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    broken = BrokenLayer()
    monkeypatch.setattr(sender, "get_channel_layer", lambda *a: broken)
    room_frame = {"type": "room.event", "text": sender.encode({"body": SECRET}), "seq": 1}
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        sender.send_on_commit(room_group(1), room_frame, layer_alias="rooms")
        sender.send_to_user_on_commit(7, {"type": UserEvent.SUPPORT_OFFER, "group_id": 1})
        sender.send_to_user_on_commit(
            range(1, 251), {"type": UserEvent.NOTIFICATION_CREATED, "title": SECRET}
        )
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    for record in caplog.records:
        assert SECRET not in record.getMessage() and not record.exc_info
    # The batch stopped at its first failing chunk instead of trying every member.
    assert broken.calls == 1 + 1 + sender.CONCURRENCY


@pytest.mark.django_db
def test_a_batch_reaches_each_member_once_in_one_callback(django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    ids = [101, 102, 103, 104, 105]
    for uid in [*ids, 999]:
        async_to_sync(layer.group_add)(user_group(uid), f"socket-{uid}")
    event = {"type": UserEvent.NOTIFICATION_READ}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sender.send_to_user_on_commit([*ids, ids[0]], event)  # a repeat is sent once
    assert len(callbacks) == 1

    async def receive_all():
        got = {uid: await asyncio.wait_for(layer.receive(f"socket-{uid}"), 2) for uid in ids}
        for channel in (f"socket-{ids[0]}", "socket-999"):  # no second copy, nobody else
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(layer.receive(channel), 0.2)
        return got

    got = async_to_sync(receive_all)()
    assert got == {uid: {"type": "user.event", "topic": "bell", "event": event} for uid in ids}


def test_every_event_type_has_a_topic_and_an_unknown_one_is_refused():
    assert events.user_message({"type": "session.ended"})["topic"] == Topic.SESSION
    assert events.topic_of(UserEvent.MEMBERSHIP_MUTED) == Topic.MEMBERSHIP
    with pytest.raises(ValueError):
        events.user_message({"type": "membership.revokd"})


def _send(user_id: int, event: dict) -> None:
    with transaction.atomic():
        sender.send_to_user_on_commit(user_id, event)


async def _session_of(member):
    (consumer,) = fanout.hub_for(get_channel_layer()).subs[user_group(member.pk)].members
    return consumer.session


@pytest.mark.django_db(transaction=True)
async def test_bell_events_leave_a_chat_socket_alone_and_membership_events_recheck(
    member, group, make_client
):
    a = make_client(member, group)
    await a.connect()
    await a.send({"type": "ping"})
    await a.until("pong")
    session = await _session_of(member)
    assert session.checked_at > 0  # the socket's last check, reusable while nothing changes

    # The bell: nothing for chat. The support offer shows, so both have been handled.
    await db(_send)(member.pk, {"type": UserEvent.NOTIFICATION_CREATED, "title": "Hi", "url": "/"})
    await db(_send)(member.pk, {"type": UserEvent.NOTIFICATION_READ})
    await db(_send)(member.pk, {"type": UserEvent.SUPPORT_OFFER, "group_id": group.pk})
    frames = await a.until("support.offer")
    assert not [f for f in frames if f["type"].startswith("notification")]
    assert session.checked_at > 0  # no re-check for them

    # A mute can change what this member may do here: the next frame checks afresh.
    await db(_send)(
        member.pk, {"type": UserEvent.MEMBERSHIP_MUTED, "group_id": group.pk, "until": None}
    )
    await a.until("muted")
    assert session.checked_at == 0
    await a.close()

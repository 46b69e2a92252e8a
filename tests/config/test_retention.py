"""Retention jobs (config/retention.py): each deletes only what it should, in batches, with
the same queries per batch whatever the batch size, twice is the same as once, and the Huey
lock keeps a second consumer out while one runs."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import DeviceSighting, LoginSession
from chat import selectors
from chat.models import Message, RoomEvent
from chat.services import message_send, room_for_group
from config import retention
from meetups.models import Delivery, GroupCalendarFeed
from notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory, login_session
from tests.meetups.conftest import past_meetup

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=400)


def pks(model) -> set[int]:
    return set(model.objects.values_list("pk", flat=True))


def run_twice(job):
    first = retention.JOBS[job](NOW)
    before = {m: pks(m) for m in (Session, LoginSession, DeviceSighting, Notification,
                                   Delivery, RoomEvent, Message, GroupCalendarFeed)}
    second = retention.JOBS[job](NOW)
    assert sum(p.deleted for p in second) == 0, "the second run found more to delete"
    assert {m: pks(m) for m in before} == before
    return {p.job: p.deleted for p in first}


@pytest.mark.django_db
def test_sessions_and_login_records(member):
    live_key = login_session(member)
    gone_key = login_session(member)
    Session.objects.filter(session_key=gone_key).update(expire_date=NOW - dt.timedelta(days=1))
    old = DeviceSighting.objects.create(user=member, device="d", ip="i", seen_at=LONG_AGO)
    recent = DeviceSighting.objects.create(user=member, device="d", ip="i", seen_at=NOW)

    assert run_twice("sessions") == {"sessions": 1, "login_records": 1, "device_sightings": 1}
    assert set(Session.objects.values_list("session_key", flat=True)) == {live_key}
    assert set(LoginSession.objects.values_list("session_key", flat=True)) == {live_key}
    assert recent.pk in pks(DeviceSighting) and old.pk not in pks(DeviceSighting)


@pytest.mark.django_db
def test_notifications_and_deliveries(group, member, facilitator):
    def note(created_at, **extra):
        return Notification.objects.create(
            user=member, kind="mention", title="t", created_at=created_at, **extra
        )

    old = [note(LONG_AGO), note(LONG_AGO, read_at=LONG_AGO)]
    waiting = note(LONG_AGO, send_after=NOW)  # its email has not gone yet
    sent = note(LONG_AGO, send_after=LONG_AGO, emailed_at=LONG_AGO)
    fresh = note(NOW - dt.timedelta(days=1))

    ended_long_ago = past_meetup(group, facilitator, start_utc=LONG_AGO)
    ended_lately = past_meetup(group, facilitator, start_utc=NOW - dt.timedelta(days=3))
    gone = Delivery.objects.create(kind="nudge", occurrence=ended_long_ago, user=member,
                                   group=group, batch="b")
    kept = Delivery.objects.create(kind="nudge", occurrence=ended_lately, user=member,
                                   group=group, batch="b")

    assert run_twice("notifications") == {"notifications": 3, "deliveries": 1}
    assert pks(Notification) == {waiting.pk, fresh.pk}
    assert not {o.pk for o in old} & pks(Notification) and sent.pk not in pks(Notification)
    assert pks(Delivery) == {kept.pk} and gone.pk not in pks(Delivery)


@pytest.mark.django_db
def test_room_events_beyond_resume_go_messages_stay(group, member, settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RESUME_CAP": 3, "CHAT_RATE_LIMIT_COUNT": 100}
    room = room_for_group(group.pk)
    for i in range(8):
        message_send(user=member, room=room, body=f"hello {i}", client_id=uuid.uuid4())
    RoomEvent.objects.update(created_at=LONG_AGO)
    room.refresh_from_db()
    assert room.last_seq == 8

    assert run_twice("room_events") == {"room_events": 5}
    assert sorted(RoomEvent.objects.values_list("seq", flat=True)) == [6, 7, 8]
    assert Message.objects.filter(room=room).count() == 8
    # Resume still works for every client it worked for: within the cap, the events...
    frames = selectors.resume_frames(room=room, viewer_id=member.pk, last_seq=5)
    assert [f["type"] for f in frames] == ["message.created"] * 3 + ["resume.done"]
    # ...and further behind, the fresh page it got anyway.
    frames = selectors.resume_frames(room=room, viewer_id=member.pk, last_seq=2)
    assert frames[0]["type"] == "reset" and len(frames[0]["messages"]) == 8


@pytest.mark.django_db
def test_recent_room_events_stay_even_beyond_the_cap(group, member, settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RESUME_CAP": 2, "CHAT_RATE_LIMIT_COUNT": 100}
    room = room_for_group(group.pk)
    for i in range(5):
        message_send(user=member, room=room, body=f"hello {i}", client_id=uuid.uuid4())
    assert run_twice("room_events") == {"room_events": 0}
    assert RoomEvent.objects.filter(room=room).count() == 5


@pytest.mark.django_db
def test_feed_tokens_of_members_who_left(group):
    stays = MembershipFactory(group=group)
    left = MembershipFactory(group=group, status="left")
    left_lately = MembershipFactory(group=group, status="left")
    keep = GroupCalendarFeed.objects.create(user=stays.user, group=group, created_at=LONG_AGO)
    GroupCalendarFeed.objects.create(user=left.user, group=group, created_at=LONG_AGO)
    recent = GroupCalendarFeed.objects.create(user=left_lately.user, group=group)
    assert run_twice("feed_tokens") == {"feed_tokens": 1}
    assert pks(GroupCalendarFeed) == {keep.pk, recent.pk}


def queries_to_prune(count: int, batch: int, settings) -> tuple[int, int]:
    user = UserFactory()
    Notification.objects.bulk_create(
        Notification(user=user, kind="mention", title="t", created_at=LONG_AGO)
        for _ in range(count)
    )
    settings.VILLAGE_RETENTION_BATCH = batch
    with CaptureQueriesContext(connection) as ctx:
        [pruned, _] = retention.prune_notifications(NOW)
    assert pruned.deleted == count and not Notification.objects.exists()
    return pruned.batches, len(ctx.captured_queries)


@pytest.mark.django_db
def test_bounded_batches_with_constant_queries_per_batch(settings):
    small = queries_to_prune(6, 2, settings)
    large = queries_to_prune(300, 100, settings)
    assert small[0] == large[0] == 3
    assert small[1] == large[1], "the queries per batch depend on the batch size"


@pytest.mark.django_db
def test_a_run_stops_after_max_batches(settings):
    settings.VILLAGE_RETENTION_MAX_BATCHES = 2
    user = UserFactory()
    Notification.objects.bulk_create(
        Notification(user=user, kind="mention", title="t", created_at=LONG_AGO) for _ in range(5)
    )
    settings.VILLAGE_RETENTION_BATCH = 2
    [pruned, _] = retention.prune_notifications(NOW)
    assert (pruned.deleted, pruned.batches) == (4, 2)
    assert Notification.objects.count() == 1  # the next night takes it


@pytest.mark.django_db
def test_a_second_consumer_waits_for_the_lock(member):
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    from config.tasks import prune_notifications

    Notification.objects.create(user=member, kind="mention", title="t", created_at=LONG_AGO)
    with HUEY.lock_task("retention-notifications"):  # another consumer is running it
        with pytest.raises(TaskLockedException):
            prune_notifications.call_local()
        assert Notification.objects.count() == 1
    assert prune_notifications.call_local() == 1
    assert prune_notifications.call_local() == 0

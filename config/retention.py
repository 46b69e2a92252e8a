"""Keep only what is needed: the retention jobs (config/tasks.py runs them nightly).

Each job deletes in batches of VILLAGE_RETENTION_BATCH rows, one short transaction per batch
(two queries: pick the ids, delete them), so a busy table is never locked for long; a run
stops after VILLAGE_RETENTION_MAX_BATCHES and the next night carries on. Every job deletes
by a condition on the rows, never by "what the last run did", so running it twice is the
same as running it once, and the Huey lock (config/tasks.py) keeps two consumers from
running the same job at the same moment.

What goes, and after how long (the settings are in config/settings/base.py; README lists
the defaults):

- sessions: Django's expired sessions (SESSION_COOKIE_AGE decides), and the login records
  (accounts.LoginSession) whose session is gone;
- device sightings (accounts.DeviceSighting, used to notice a banned member's new account)
  older than VILLAGE_RETAIN_DEVICE_SIGHTINGS_DAYS;
- notifications older than VILLAGE_RETAIN_NOTIFICATIONS_DAYS, except an email still waiting;
- reminder and nudge delivery records (meetups.Delivery) whose meetup ended more than
  VILLAGE_RETAIN_DELIVERIES_DAYS ago (the exactly-once guard is only needed until then);
- the chat event log (chat.RoomEvent) beyond what resume needs: a client more than
  CHAT_RESUME_CAP events behind gets a fresh page anyway (chat.selectors.resume_frames), so
  only each room's last CHAT_RESUME_CAP events are kept, plus everything younger than
  VILLAGE_RETAIN_ROOM_EVENTS_DAYS. The messages themselves stay, and the room's head event
  is never deleted, so the room's sequence head still matches its log;
- group calendar links (meetups.GroupCalendarFeed) of members who are no longer active in
  that group, older than VILLAGE_RETAIN_FEED_DAYS (they already stopped working).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import DeviceSighting, LoginSession
from chat.models import RoomEvent
from config.village import village
from groups.models import Membership
from meetups.models import Delivery, GroupCalendarFeed
from notifications.models import Notification


@dataclass
class Pruned:
    job: str
    deleted: int = 0
    batches: int = 0


def _batch_size() -> int:
    return settings.VILLAGE_RETENTION_BATCH


def delete_in_batches(job: str, queryset: QuerySet) -> Pruned:
    """Delete every row of `queryset`, `_batch_size()` at a time, each batch in its own
    transaction: one query for the ids, one to delete them (cascades add theirs)."""
    result = Pruned(job)
    model = queryset.model
    for _ in range(settings.VILLAGE_RETENTION_MAX_BATCHES):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: _batch_size()])
        if not ids:
            break
        with transaction.atomic():
            deleted, _ = model.objects.filter(pk__in=ids).delete()
        result.deleted += deleted
        result.batches += 1
    return result


def _days(name: str) -> timedelta:
    return timedelta(days=getattr(settings, name))


def prune_sessions(now=None) -> list[Pruned]:
    now = now or timezone.now()
    return [
        delete_in_batches("sessions", Session.objects.filter(expire_date__lt=now)),
        delete_in_batches(
            "login_records",
            LoginSession.objects.exclude(
                session_key__in=Session.objects.values("session_key")
            ),
        ),
        delete_in_batches(
            "device_sightings",
            DeviceSighting.objects.filter(
                seen_at__lt=now - _days("VILLAGE_RETAIN_DEVICE_SIGHTINGS_DAYS")
            ),
        ),
    ]


def prune_notifications(now=None) -> list[Pruned]:
    now = now or timezone.now()
    old = Notification.objects.filter(
        created_at__lt=now - _days("VILLAGE_RETAIN_NOTIFICATIONS_DAYS")
    ).exclude(send_after__isnull=False, emailed_at__isnull=True)
    deliveries = Delivery.objects.filter(
        occurrence__ends_at__lt=now - _days("VILLAGE_RETAIN_DELIVERIES_DAYS")
    )
    return [
        delete_in_batches("notifications", old),
        delete_in_batches("deliveries", deliveries),
    ]


def prune_room_events(now=None) -> list[Pruned]:
    now = now or timezone.now()
    cap = max(village("CHAT_RESUME_CAP"), 1)  # the head event always stays
    beyond_resume = RoomEvent.objects.filter(
        created_at__lt=now - _days("VILLAGE_RETAIN_ROOM_EVENTS_DAYS"),
        seq__lte=F("room__last_seq") - cap,
    )
    return [delete_in_batches("room_events", beyond_resume)]


def prune_feed_tokens(now=None) -> list[Pruned]:
    now = now or timezone.now()
    active = Membership.objects.filter(
        user_id=OuterRef("user_id"),
        group_id=OuterRef("group_id"),
        status=Membership.Status.ACTIVE,
    )
    stale = GroupCalendarFeed.objects.filter(
        ~Exists(active), created_at__lt=now - _days("VILLAGE_RETAIN_FEED_DAYS")
    )
    return [delete_in_batches("feed_tokens", stale)]


JOBS = {
    "sessions": prune_sessions,
    "notifications": prune_notifications,
    "room_events": prune_room_events,
    "feed_tokens": prune_feed_tokens,
}

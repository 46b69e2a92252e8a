"""Writes for notifications. Every other app tells members things through `notify`."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config import outage
from config.village import village
from realtime.events import UserEvent
from realtime.sender import send_to_user_on_commit

from .models import (
    Kind,
    Notification,
    Preference,
    PushSubscription,
    QuietHours,
    link_unsubscribe_allowed,
)
from .push import push_to_users

#: Emails are queued in Huey tasks of this many notifications each (one task per batch).
EMAIL_BATCH = 500


@dataclass(frozen=True)
class Note:
    """One notification for one member, for `notify_many`."""

    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    group_id: int | None = None
    urgent: bool = False
    data: dict = field(default_factory=dict)


def notify_many(notes: Iterable[Note], *, email: bool = True) -> list[int]:
    """Create many notifications (each its own member, text and link) in bulk; returns their
    ids. After commit, one callback pushes every bell update in a single batch and another
    queues the emails in Huey tasks of EMAIL_BATCH each. One INSERT on PostgreSQL (the
    shared texts are sent once each, not once per member), a few elsewhere; no per-member
    callbacks. `body` is our own short text, never a member's message body."""
    notes = list(notes)
    if not notes:
        return []
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return [n.pk for n in _create(notes, email=email)]
        return _insert_many(notes, email=email)


def _insert_many(notes: list[Note], *, email: bool) -> list[int]:
    """PostgreSQL: every notification in one INSERT .. SELECT FROM unnest(..)."""
    texts: dict[tuple, int] = {}
    user_ids: list[int] = []
    text_idx: list[int] = []
    dumped: dict[int, str] = {}  # callers share one data dict per meetup: dump it once
    for n in notes:
        data = dumped.get(id(n.data))
        if data is None:
            data = dumped[id(n.data)] = json.dumps(n.data, sort_keys=True)
        key = (str(n.kind), n.title[:200], n.body, n.url, n.group_id, n.urgent, data)
        user_ids.append(n.user_id)
        text_idx.append(texts.setdefault(key, len(texts) + 1))
    cols = list(zip(*texts, strict=True))
    with connection.cursor() as cur:
        cur.execute(
            """WITH t AS (
                SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::text[], %s::varchar[],
                                     %s::bigint[], %s::boolean[], %s::text[])
                    WITH ORDINALITY AS t(kind, title, body, url, group_id, urgent, data, i)
            )
            INSERT INTO notifications_notification
                (user_id, kind, title, body, url, group_id, urgent, created_at, data)
            SELECT n.user_id, t.kind, t.title, t.body, t.url, t.group_id, t.urgent, %s,
                   t.data::jsonb
            FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[])
                AS n(user_id, i) JOIN t ON t.i = n.i
            RETURNING id, user_id, title, url, urgent""",
            # The long id lists travel as one comma-joined string each (cheap to send).
            [
                *(list(c) for c in cols),
                timezone.now(),
                ",".join(map(str, user_ids)),
                ",".join(map(str, text_idx)),
            ],  # fmt: skip
        )
        created = cur.fetchall()
    events = [
        (uid, {"type": "notification.created", "title": title, "url": url, "urgent": urgent})
        for _pk, uid, title, url, urgent in created
    ]
    transaction.on_commit(lambda: push_to_users(events))
    pks = sorted(row[0] for row in created)
    transaction.on_commit(lambda: _queue_deliveries(pks, email=email))
    return pks


def _create(notes: Iterable[Note], *, email: bool) -> list[Notification]:
    """Portable path (and `notify`'s): bulk_create, then the same two after-commit callbacks."""
    rows = [
        Notification(
            user_id=n.user_id,
            kind=n.kind,
            title=n.title[:200],
            body=n.body,
            url=n.url,
            group_id=n.group_id,
            urgent=n.urgent,
            data=n.data,
        )
        for n in notes
    ]
    if not rows:
        return []
    rows = Notification.objects.bulk_create(rows, batch_size=2000)
    events = [
        (
            n.user_id,
            {"type": "notification.created", "title": n.title, "url": n.url, "urgent": n.urgent},
        )
        for n in rows
    ]
    transaction.on_commit(lambda: push_to_users(events))
    # bulk_create returns primary keys on PostgreSQL and SQLite 3.35+.
    pks = [n.pk for n in rows if n.pk]
    if pks:
        transaction.on_commit(lambda: _queue_deliveries(pks, email=email))
    return rows


JOB_QUEUE = "Redis (job queue)"


def _queue_deliveries(notification_ids: list[int], *, email: bool) -> None:
    """After commit: the emails (unless the caller sends them itself) and the web pushes."""
    if email:
        queue_emails(notification_ids)
    queue_pushes(notification_ids)


def queue_emails(notification_ids: list[int]) -> bool:
    """Enqueue the email task once per batch of notifications (never once per member).

    Runs after commit: if the queue (Redis) is away, the notifications are already safe in
    the database and in the bell, and the page that made them must not fail. The outage is
    logged once; False tells a caller with a sweep of its own (urgent alerts) to rely on it.
    """
    from .tasks import send_notification_emails

    try:
        for i in range(0, len(notification_ids), EMAIL_BATCH):
            send_notification_emails(notification_ids[i : i + EMAIL_BATCH])
    except Exception as exc:
        outage.down(JOB_QUEUE, exc)
        return False
    outage.up(JOB_QUEUE)
    return True


def queue_pushes(notification_ids: list[int]) -> bool:
    """Enqueue the web push task once per WEBPUSH_BATCH notifications (after commit). The
    task finds the members' devices; a queue outage is logged once, as for emails, and the
    page that made the notifications carries on."""
    from .tasks import push_notifications

    batch = village("WEBPUSH_BATCH")
    try:
        for i in range(0, len(notification_ids), batch):
            push_notifications(notification_ids[i : i + batch])
    except Exception as exc:
        outage.down(JOB_QUEUE, exc)
        return False
    outage.up(JOB_QUEUE)
    return True


@transaction.atomic
def notify(
    *,
    user_ids: Iterable[int],
    kind: Kind | str,
    title: str,
    body: str = "",
    url: str = "",
    group_id: int | None = None,
    urgent: bool = False,
    email: bool = True,
    data: dict | None = None,
) -> list[Notification]:
    """The same notification for several members: bulk rows, then after commit the bell
    updates and the emails (sent by a Huey task, never here). See `notify_many`."""
    return _create(
        [
            Note(
                user_id=uid,
                kind=str(kind),
                title=title,
                body=body,
                url=url,
                group_id=group_id,
                urgent=urgent,
                data=data or {},
            )  # fmt: skip
            for uid in sorted(set(user_ids))
        ],
        email=email,
    )


def notification_mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of a member's notifications read; returns how many changed."""
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    changed = qs.update(read_at=timezone.now())
    if changed:
        send_to_user_on_commit(user.pk, {"type": UserEvent.NOTIFICATION_READ})
    return changed


@transaction.atomic
def preferences_set(*, user, email_on: Iterable[str], kinds: Iterable[str] | None = None) -> None:
    """Save which kinds reach this member by email. In-app notifications always arrive.

    `kinds` are the switches that were shown (default: every kind); those not in `email_on`
    are turned off. Unknown kinds are ignored.
    """
    valid = set(Kind.values)
    shown = (set(kinds) if kinds is not None else valid) & valid
    wanted = set(email_on) & valid
    for kind in sorted(shown):
        Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in wanted}
        )


def quiet_hours_set(
    *, user, enabled: bool, start: datetime.time | None, end: datetime.time | None
) -> QuietHours:
    """Save the member's quiet hours (in their profile time zone). Turning them off keeps the
    times they had, for when they turn them back on. Emails already waiting are looked at
    again when they are due (`tasks.emails_send` asks the rule afresh)."""
    current = QuietHours.objects.filter(user=user).first() or QuietHours(user=user)
    current.enabled = enabled
    if start is not None and end is not None and start != end:
        current.start, current.end = start, end
    elif enabled:
        raise ValueError("quiet hours need a start and an end that differ")
    current.save()
    return current


def preference_email_off(*, user_id: int, kind: str) -> bool:
    """One-click unsubscribe: stop emails of one kind. Returns False (and changes nothing) for
    an unknown kind, or one that is part of a role (`link_unsubscribe_allowed`)."""
    if not link_unsubscribe_allowed(kind):
        return False
    Preference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"email": False})
    return True


# --- phones (web push) -----------------------------------------------------------------------

#: The session key holding this browser's random key (see PushSubscription.browser_key).
BROWSER_SESSION_KEY = "village.webpush.browser"
DEVICE_NAME_CHARS = 60


def push_subscription_add(
    *,
    user,
    browser_key: str,
    endpoint,
    p256dh,
    auth,
    user_agent: str = "",
    origin: str | None = None,
    own_origin: str | None = None,
) -> PushSubscription:
    """Start notifying this browser (`webpush.check_subscription` says what is refused, with a
    kind ValidationError; nothing is stored then). The same browser again updates its row.
    A browser another member had registered (a shared phone) now belongs to this member.
    At most WEBPUSH_MAX_DEVICES devices each."""
    from .webpush import check_subscription, device_name

    if origin and own_origin and origin.rstrip("/") != own_origin.rstrip("/"):
        raise ValidationError(
            _("That request came from another website, so we didn't turn anything on."),
            code="origin",
        )
    checked = check_subscription(endpoint=endpoint, p256dh=p256dh, auth=auth)
    limit = village("WEBPUSH_MAX_DEVICES")
    with transaction.atomic():
        existing = (
            PushSubscription.objects.select_for_update().filter(endpoint=checked.endpoint).first()
        )
        if existing is not None and existing.user_id == user.pk:
            existing.p256dh, existing.auth = checked.p256dh, checked.auth
            existing.browser_key = browser_key
            existing.save(update_fields=["p256dh", "auth", "browser_key"])
            return existing
        if PushSubscription.objects.filter(user=user).count() >= limit:
            raise ValidationError(
                _(
                    "You already get notifications on %(count)d devices. Please stop one of "
                    "them first."
                )
                % {"count": limit},
                code="too_many",
            )
        if existing is not None:
            existing.delete()
        return PushSubscription.objects.create(
            user=user,
            endpoint=checked.endpoint,
            p256dh=checked.p256dh,
            auth=checked.auth,
            browser_key=browser_key,
            name=device_name(user_agent)[:DEVICE_NAME_CHARS],
        )


def push_subscription_update(*, subscription: PushSubscription, name, previews: bool) -> None:
    """Rename a device and choose whether its lock screen shows what notifications say."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError(_("Please give this device a name."), code="name")
    if len(name) > DEVICE_NAME_CHARS:
        raise ValidationError(
            _("Please keep the name under %(n)d letters.") % {"n": DEVICE_NAME_CHARS},
            code="name",
        )
    subscription.name, subscription.previews = name, bool(previews)
    subscription.save(update_fields=["name", "previews"])


def push_subscription_delete(*, subscription: PushSubscription) -> None:
    """Stop notifying this device (its waiting pushes go with it)."""
    subscription.delete()


def push_subscriptions_forget_browser(*, user_id: int, browser_key: str | None) -> int:
    """Logging out of a browser stops its notifications: delete that member's devices made
    in this browser's session. Returns how many."""
    if not browser_key:
        return 0
    deleted, _rows = PushSubscription.objects.filter(
        user_id=user_id, browser_key=browser_key
    ).delete()
    return deleted


@transaction.atomic
def push_preferences_set(*, user, push_on: Iterable[str], kinds: Iterable[str]) -> None:
    """Save which kinds reach this member's phones (the switches shown in `kinds`)."""
    valid = set(Kind.values)
    wanted = set(push_on) & valid
    for kind in sorted(set(kinds) & valid):
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"push": kind in wanted})

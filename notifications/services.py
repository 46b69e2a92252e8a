"""Writes for notifications. Every other app tells members things through `notify`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from chat.events import send_to_user_on_commit

from .models import Kind, Notification, Preference


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
) -> list[Notification]:
    """Create one in-app notification per member, in bulk, then after commit push the bell
    update to their open pages and queue the emails (sent by a Huey task, never here).

    `body` is our own short text, never a member's message body.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                group_id=group_id,
                urgent=urgent,
            )
            for uid in ids
        ]
    )
    for uid in ids:
        send_to_user_on_commit(
            uid,
            {"type": "notification.created", "title": title[:200], "url": url, "urgent": urgent},
        )
    if email:
        from .tasks import send_notification_emails

        # bulk_create returns primary keys on PostgreSQL and SQLite 3.35+.
        pks = [n.pk for n in rows if n.pk]
        if pks:
            transaction.on_commit(lambda: send_notification_emails(pks))
    return rows


def notification_mark_read(*, user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of a member's notifications read; returns how many changed."""
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    changed = qs.update(read_at=timezone.now())
    if changed:
        send_to_user_on_commit(user.pk, {"type": "notification.read"})
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


def preference_email_off(*, user_id: int, kind: str) -> bool:
    """One-click unsubscribe: stop emails of one kind. Returns False for an unknown kind."""
    if kind not in Kind.values:
        return False
    Preference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"email": False})
    return True

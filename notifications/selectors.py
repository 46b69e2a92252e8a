"""Reads for the bell, the notifications page and the email preferences."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Kind, Notification, Preference

# Kinds only some people receive; everyone else is not shown the switch.
MODERATOR_KINDS = {Kind.SAFEGUARDING}


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    email: bool


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notification_list(*, user, limit: int = 100) -> list[Notification]:
    """The member's newest notifications first (one query)."""
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def preference_rows(*, user) -> list[PreferenceRow]:
    """One row per kind this member can receive, with whether email is on (default on)."""
    off = set(Preference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    is_moderator = bool(user.is_moderator or user.is_staff)
    return [
        PreferenceRow(kind=value, label=str(label), email=value not in off)
        for value, label in Kind.choices
        if is_moderator or value not in MODERATOR_KINDS
    ]


def notifications_export(user) -> dict:
    """This member's own notifications and email choices, for their data export."""
    return {
        "email_choices": {row.kind: row.email for row in preference_rows(user=user)},
        "notifications": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in Notification.objects.filter(user=user).order_by("created_at", "id")
        ],
    }

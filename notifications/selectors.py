"""Reads for the bell, the notifications page and the email preferences."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Kind, Notification, Preference, PushSubscription, QuietHours

#: How much of a message a mention email may quote.
SNIPPET_CHARS = 120

# Kinds only some people receive; everyone else is not shown the switch.
MODERATOR_KINDS = {Kind.SAFEGUARDING}


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    email: bool
    push: bool = True


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notification_list(*, user, limit: int = 100) -> list[Notification]:
    """The member's newest notifications first (one query)."""
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def preference_rows(*, user) -> list[PreferenceRow]:
    """One row per kind this member can receive, with whether email is on (default on)."""
    off: set[tuple[str, str]] = set()
    for kind, email, push in Preference.objects.filter(user=user).values_list(
        "kind", "email", "push"
    ):
        off |= {("email", kind)} if not email else set()
        off |= {("push", kind)} if not push else set()
    from .hooks import is_moderator as holds_site_role  # the permission module's answer

    is_moderator = holds_site_role(user)
    return [
        PreferenceRow(
            kind=value,
            label=str(label),
            email=("email", value) not in off,
            push=("push", value) not in off,
        )
        for value, label in Kind.choices
        if is_moderator or value not in MODERATOR_KINDS
    ]


def push_devices(*, user) -> list[PushSubscription]:
    """The member's phones and browsers that get notifications, oldest first (one query)."""
    return list(PushSubscription.objects.filter(user=user).order_by("created_at", "pk"))


def push_device_for(*, user, pk) -> PushSubscription:
    """One of the member's own devices; PushSubscription.DoesNotExist for anyone else's (the
    same answer as for one that does not exist)."""
    return PushSubscription.objects.get(user=user, pk=pk)


def quiet_hours_for(*, user) -> QuietHours:
    """The member's quiet hours, or the default (unsaved) when they never chose."""
    return QuietHours.objects.filter(user=user).first() or QuietHours(user=user)


def mention_snippets(*, user, notes: list[Notification]) -> dict[int, str]:
    """For mention notifications of `user`: a short start of each message they can still see
    (chat decides: visible, not deleted, and they may still read that group's chat), by
    notification id. Messages held or hidden by moderation, deleted, or in a group they left
    are left out."""
    from .hooks import mention_snippets as snippets_of

    wanted = {
        n.pk: n.data.get("message")
        for n in notes
        if n.user_id == user.pk and n.kind == Kind.MENTION and isinstance(n.data, dict)
    }
    ids = {mid for mid in wanted.values() if isinstance(mid, int)}
    if not ids:
        return {}
    texts = snippets_of(user, ids)
    return {note_id: _snippet(texts[mid]) for note_id, mid in wanted.items() if mid in texts}


def _snippet(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[: SNIPPET_CHARS - 1].rstrip() + "…"


def notifications_export(user) -> dict:
    """This member's own notifications and email choices, for their data export."""
    return {
        "email_choices": {row.kind: row.email for row in preference_rows(user=user)},
        "quiet_hours": _quiet_export(user),
        "phone_choices": {row.kind: row.push for row in preference_rows(user=user)},
        "phones": [
            {"name": d.name, "previews": d.previews, "since": d.created_at}
            for d in push_devices(user=user)
        ],
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


def _quiet_export(user) -> dict:
    quiet = quiet_hours_for(user=user)
    return {"on": quiet.enabled, "from": f"{quiet.start:%H:%M}", "until": f"{quiet.end:%H:%M}"}

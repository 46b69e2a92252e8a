"""Reads for a member's own account pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from . import privacy
from .models import User


def account_export(*, user: User) -> dict[str, Any]:
    """Everything Village holds about this member, from every app's registered exporter.

    Each exporter returns only the member's own data; this is what /me/export/ downloads.
    """
    data: dict[str, Any] = {
        "about_this_file": (
            "Everything Village holds about you, as JSON. Other members' names and posts "
            "are not included."
        ),
        "exported_at": timezone.now(),
    }
    for name, export in privacy.exporters().items():
        data[name] = export(user)
    return data


def deletion_notices(*, user: User) -> list[privacy.Notice]:
    """What the member might sort out before deleting their account (never a refusal)."""
    return [notice for warn in privacy.warners().values() for notice in warn(user)]


def member_by_id(raw: object) -> User | None:
    """The account with this id (as typed in a form or a link), or None for a bad or unknown id.
    What the caller may do with them is for `groups.permissions` to say."""
    try:
        pk = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return User.objects.filter(pk=pk).first()

"""Reads for a member's own account pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery
from django.db.models.functions import Now
from django.utils import timezone

from . import privacy
from .models import TermsVersion, User


def _published():
    return TermsVersion.objects.filter(published_at__lte=Now()).order_by(
        "-published_at", "-version"
    )


def current_terms() -> TermsVersion | None:
    """The terms version members must have agreed to: the latest published one."""
    return _published().first()


def current_terms_subquery() -> Subquery:
    """The current version's number, for annotating the session's member (accounts.backends)."""
    return Subquery(_published().values("version")[:1])


def current_terms_version() -> int | None:
    return _published().values_list("version", flat=True).first()


def terms_history() -> list[TermsVersion]:
    return list(_published().only("version", "summary", "published_at"))


def terms_needed(user) -> int | None:
    """The version `user` still has to agree to, or None. Uses the number read with the
    session's member when there is one (no query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    current = getattr(user, "current_terms_version", _UNREAD)
    if current is _UNREAD:
        current = current_terms_version()
    if current and user.terms_version != current:
        return int(current)  # type: ignore[call-overload]
    return None


_UNREAD = object()


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

"""Writes for members' own accounts: profile changes and the legal duties (erase, export)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import privatedetails
from core.errors import ServiceError

from . import privacy, sessions
from .models import TermsAcceptance, TermsVersion, User, validate_time_zone
from .names import clean_display_name

log = logging.getLogger(__name__)


@transaction.atomic
def profile_update(*, user: User, display_name: str, about: str, time_zone: str) -> User:
    """Change what a member says about themselves. Raises ValidationError with kind words."""
    try:
        display_name = clean_display_name(display_name)
    except ValidationError as exc:
        raise ValidationError({"display_name": exc.messages}) from exc
    about = (about or "").strip()
    if len(about) > 500:
        raise ValidationError({"about": _("Please keep this to 500 characters.")})
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from exc
    user.display_name = display_name
    user.about = about
    user.time_zone = time_zone
    user.save(update_fields=["display_name", "about", "time_zone"])
    return user


@transaction.atomic
def account_delete(*, user: User, password: str) -> None:
    """Erase a member, in one transaction.

    Every app's registered eraser runs first (chat anonymises posts as "Former member" by
    leaving their author empty, and so on), then notifications, email addresses,
    two-factor authenticators, sessions and memberships go, and finally the user row.
    Raises ValidationError (nothing changed) when the password is wrong.
    """
    if not password or not user.check_password(password):
        raise ValidationError({"password": _("That password isn't right. Please try again.")})
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user_id = user.pk
    for name, erase in privacy.erasers().items():
        erase(user)
        log.info("privacy eraser %s ran for user %s", name, user_id)
    # Reverse relations, so accounts never imports the apps above it.
    user.notifications.all().delete()
    user.notification_prefs.all().delete()
    EmailAddress.objects.filter(user_id=user_id).delete()
    Authenticator.objects.filter(user_id=user_id).delete()
    # Logged out everywhere: one indexed lookup of the member's own sessions (recorded on
    # log-in by accounts.sessions), never a scan of everyone's.
    sessions.end_all(user_id=user_id)
    user.memberships.all().delete()
    user.delete()
    log.info("account %s deleted", user_id)


def profile_export(user: User) -> dict[str, Any]:
    """The accounts-level export: the member's own profile, addresses and memberships."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    memberships = [
        {
            "group": m.group.name,
            "group_address": m.group.slug,
            "role": m.role,
            "status": m.status,
            "joined_at": m.joined_at,
            "answers_when_asking_to_join": m.request_answers,
        }
        for m in user.memberships.select_related("group").order_by("pk")
    ]
    return {
        "display_name": user.display_name,
        "email": user.email,
        "about": user.about,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_moderator": user.is_moderator,
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "two_factor_methods": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
        "memberships": memberships,
        "terms_accepted": [
            {"version": a.terms.version, "accepted_at": a.accepted_at}
            for a in user.terms_acceptances.select_related("terms").order_by("accepted_at")
        ],
        "not_asked_before_sharing": list(user.private_details_skip or []),
    }


def private_details_skip_add(*, user: User, kinds) -> list[str]:
    """"Don't ask me again for phone numbers": add `kinds` (core.privatedetails kinds; unknown
    ones are ignored) to what the member is no longer asked about. Stores only the kinds."""
    wanted = privatedetails.clean_kinds([*(user.private_details_skip or []), *kinds])
    if wanted != list(user.private_details_skip or []):
        User.objects.filter(pk=user.pk).update(private_details_skip=wanted)
        user.private_details_skip = wanted
    return wanted


def private_details_skip_set(*, user: User, kinds) -> list[str]:
    """Set exactly which kinds the member is no longer asked about (their profile's choices)."""
    wanted = privatedetails.clean_kinds(kinds)
    User.objects.filter(pk=user.pk).update(private_details_skip=wanted)
    user.private_details_skip = wanted
    return wanted


class TermsError(ServiceError):
    pass


@transaction.atomic
def terms_publish(
    *, text: str, house_rules: str = "", summary: str = "", published_at=None
) -> TermsVersion:
    """Publish a new version of the terms (its number is the next one). A version with no
    text is refused and nothing changes. Members are asked to agree again from
    `published_at` (default now)."""
    text = (text or "").strip()
    if not text:
        raise TermsError(
            _("The terms can't be empty. Please write them out in full."), code="no_text"
        )
    last = TermsVersion.objects.select_for_update().order_by("-version").first()
    return TermsVersion.objects.create(
        version=(last.version + 1) if last else 1,
        text=text,
        house_rules=(house_rules or "").strip(),
        summary=(summary or "").strip(),
        published_at=published_at or timezone.now(),
    )


@transaction.atomic
def terms_accept(*, user: User, version: int) -> TermsAcceptance:
    """Record that `user` agreed to terms `version` (once; agreeing again is harmless)."""
    terms = TermsVersion.objects.filter(version=version, published_at__lte=timezone.now()).first()
    if terms is None:
        raise TermsError(
            _("Those terms have changed since the page opened. Please read them again."),
            code="stale",
        )
    acceptance, _created = TermsAcceptance.objects.get_or_create(user=user, terms=terms)
    if user.terms_version != terms.version:
        User.objects.filter(pk=user.pk).update(terms_version=terms.version)
        user.terms_version = terms.version
    return acceptance

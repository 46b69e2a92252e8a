"""Closed accounts can still appeal and complain (a UK Online Safety Act duty).

A site-wide ban deactivates the account, so its owner cannot log in and the ordinary
notification email (active members only) never reaches them. Instead they get a letter with a
personal signed link to one page, `moderation:closed`, where they can read the decisions
about them, appeal each once in writing, make a complaint and follow it to an outcome; and
nothing else. The same letter goes out when an appeal is decided or a complaint answered while
the account is still closed, and on request from the log-in page ("account inactive") for a
closed account's email address.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.urls import absolute_reverse

from .models import ModAction

log = logging.getLogger("village.moderation")

SALT = "village.moderation.closed-account"
LINK_MAX_AGE = 365 * 24 * 3600
RESEND_SECONDS = 15 * 60


def token_for(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT, compress=True)


def user_for(token: str):
    """The closed account a link belongs to, or None (bad, expired, or no longer closed)."""
    try:
        user_id = int(signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=False).first()


def link_for(user_id: int) -> str:
    return absolute_reverse("moderation:closed", token_for(user_id))


def has_closing_decision(user) -> bool:
    return ModAction.objects.filter(target=user, kind=ModAction.Kind.BAN, site_wide=True).exists()


def letter_on_commit(user_id: int, subject: str, text: str) -> None:
    """Queue the letter (a Huey task) once the decision is committed."""
    from .tasks import send_closed_account_letter

    transaction.on_commit(lambda: send_closed_account_letter(user_id, subject, text))


def send_letter(user_id: int, subject: str, text: str) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=False).first()
    if user is None or not user.email:
        return False
    body = render_to_string(
        "moderation/closed_letter.txt",
        {"user": user, "text": text, "link": link_for(user.pk)},
    )
    EmailMessage(subject=f"[Village] {subject}", body=body, to=[user.email]).send()
    return True


def resend_link(email: str) -> None:
    """From the log-in page: send the link again to a closed account (answers nothing about
    whether the address is known; at most one letter per address per quarter hour)."""
    email = (email or "").strip().lower()
    if not email or not cache.add(f"moderation:closed-resend:{email}", 1, RESEND_SECONDS):
        return
    user = get_user_model().objects.filter(email__iexact=email, is_active=False).first()
    if user is None or not has_closing_decision(user):
        return
    from .tasks import send_closed_account_letter

    send_closed_account_letter(
        user.pk,
        _("Your link to appeal or complain"),
        _(
            "You asked for your link again. With it you can read the decision about your "
            "account, appeal it once in your own words, or make a complaint."
        ),
    )

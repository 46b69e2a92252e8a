"""Who may use Village right now: the rules every entrance enforces, pages and sockets alike.

HTTP asks through `accounts.middleware`; every websocket through `config.wsauth` at connect
and through `socket_refusal` whenever an open socket re-checks itself (chat's permission
check, the bell and the moderation queue on each event, and at once when `session_ended`
says a member's session ended somewhere). So a socket can never do what the same browser's
next page would refuse: a moderator without two-step log-in set up, or a session that was
logged out, logged out everywhere, outlived a password change or an account deletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.dispatch import Signal
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

#: Sent (user_id=...) after one of a member's sessions ended or stopped being valid: a
#: log-out, "log out everywhere", a password change, account deletion. Chat turns it into a
#: `session.ended` event for the member's open sockets (each re-checks its own session).
session_ended = Signal()

CLOSE_UNAUTHENTICATED = 4401


@dataclass(frozen=True)
class Refusal:
    """Why a socket must close (with 4401), in words the client can show."""

    code: str
    message: str
    close_code: int = CLOSE_UNAUTHENTICATED
    retry_after: int | None = None

    def frame(self) -> dict[str, str | bool | int]:
        if self.retry_after is not None:  # not fatal: the client tries again later
            return {
                "type": "error",
                "code": self.code,
                "message": self.message,
                "retry_after": self.retry_after,
            }
        return {"type": "error", "code": self.code, "message": self.message, "fatal": True}


def mfa_setup_required(user) -> bool:
    """Moderators and staff must set up two-step log-in before they can use anything."""
    if not settings.VILLAGE_REQUIRE_MFA_FOR_STAFF:
        return False
    if user is None or not user.is_authenticated or not (user.is_staff or user.is_moderator):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user).exists()


def mfa_refusal() -> Refusal:
    return Refusal(
        "mfa_required",
        _("Please finish setting up two-step log-in first. Then reload this page."),
    )


#: A socket refused because its member opened too many in a short time (config/socketlimits).
CLOSE_TOO_MANY = 4029


def too_many_refusal(retry_after: int) -> Refusal:
    return Refusal(
        "rate_limited",
        _("Too many connections at once. We'll try again in a moment."),
        close_code=CLOSE_TOO_MANY,
        retry_after=retry_after,
    )


def session_refusal() -> Refusal:
    return Refusal("session_ended", _("You've been logged out. Please log in again."))


def _hash_matches(user, stored: str | None) -> bool:
    if not stored:
        return False
    if constant_time_compare(stored, user.get_session_auth_hash()):
        return True
    for secret in getattr(settings, "SECRET_KEY_FALLBACKS", ()):
        if constant_time_compare(stored, user._get_session_auth_hash(secret=secret)):
            return True
    return False


def session_valid(user, session_key: str | None) -> bool:
    """Is `session_key` still a live log-in of `user` (as Django's `get_user` would decide:
    the session exists and has not expired, names this user and backend, and its password
    hash still matches)? One read of the session store."""
    if not session_key or user is None or not user.is_authenticated or not user.is_active:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # {} when missing or expired
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    return _hash_matches(user, data.get(HASH_SESSION_KEY))


def socket_refusal(user, session_key: str | None) -> Refusal | None:
    """Why an open socket of `user`, logged in as `session_key`, must close now; or None."""
    if not session_valid(user, session_key):
        return session_refusal()
    if mfa_setup_required(user):
        return mfa_refusal()
    return None


def socket_refusal_by_id(user_id: int, session_key: str | None) -> Refusal | None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return session_refusal()
    return socket_refusal(user, session_key)

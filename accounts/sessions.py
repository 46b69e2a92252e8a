"""Remember which sessions belong to which member.

Written on log-in (the `user_logged_in` signal) and again whenever a logged-in session's key
changes afterwards (Django cycles the key on a password change), by `SessionOwnerMiddleware`.
The session itself remembers which key was recorded, so an ordinary request costs nothing.

Why not `allauth.usersessions`, which does something similar: it keeps, for every session, the
member's IP address, their browser's user agent and when each was last active, and it writes
the row again as those change. That is a record of where and when a member uses Village, kept
for as long as the session lives, which a parent leaving an abusive partner has every reason
not to want kept. Village needs only the link from a member to their session keys ("log out
everywhere", account deletion, ending a socket when its session ends), so `LoginSession`
holds that and nothing else. (Noticing a banned member's new account uses keyed hashes in
`DeviceSighting`, never the addresses themselves.)
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from .models import LoginSession
from .security import session_ended

#: Inside the session: the key we last recorded for it.
RECORDED = "_village_recorded_key"


def record(*, user_id: int, session) -> None:
    key = session.session_key
    if not key:
        return
    LoginSession.objects.update_or_create(session_key=key, defaults={"user_id": user_id})
    session[RECORDED] = key


def forget(*, session_key: str | None) -> None:
    if session_key:
        LoginSession.objects.filter(session_key=session_key).delete()


def prune(*, user_id: int) -> None:
    """Drop records of the member's sessions that have expired or gone (db sessions only)."""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    # The member's own few keys first, then those of them still alive: both by index, never a
    # scan of everyone's sessions.
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    if not keys:
        return
    live = set(
        Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
            "session_key", flat=True
        )
    )
    dead = [k for k in keys if k not in live]
    if dead:
        LoginSession.objects.filter(session_key__in=dead).delete()


def end_all(*, user_id: int) -> int:
    """End every recorded session of a member, whatever the session engine. Returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user_id=user_id).delete()
    return len(keys)


def on_logged_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    prune(user_id=user.pk)
    record(user_id=user.pk, session=session)


def on_logged_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        forget(session_key=session.session_key)


class SessionOwnerMiddleware:
    """Re-record a logged-in session whose key changed after log-in (a password change)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Never load a session just for this: only look if the view already did.
        if session is None or not session.accessed or session.is_empty():
            return response
        user_id = session.get(SESSION_KEY)
        key = session.session_key
        if user_id and key and session.get(RECORDED) != key:
            forget(session_key=session.get(RECORDED))  # the old key is dead after cycling
            record(user_id=int(user_id), session=session)
        return response


# --- ended sessions: tell the member's open sockets --------------------------------------------


def on_session_deleted(sender, instance, **kwargs) -> None:
    """A stored session went (log-out, "log out everywhere", a key cycled by a password
    change, account deletion, the expiry sweep): its member's sockets check themselves."""
    try:
        user_id = instance.get_decoded().get(SESSION_KEY)
    except Exception:  # an unreadable session had no live sockets either
        return
    if user_id:
        session_ended.send(sender=LoginSession, user_id=int(user_id))


def on_user_saved(sender, instance, created, **kwargs) -> None:
    """A new password ends every other log-in (their session hash no longer matches)."""
    if not created and getattr(instance, "_password", None) is not None:
        session_ended.send(sender=LoginSession, user_id=instance.pk)

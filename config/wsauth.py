"""Websocket authentication for every Village socket (chat, the bell, the moderation queue).

Every socket passes through here, so this is where websockets enforce what HTTP enforces
(accounts/security.py): the session cookie's user, with Channels' own checks (backend, session
hash), and two-step log-in for moderators and staff. A socket that may not be used is accepted
just long enough to be told why (one `error` frame the client shows) and closed with 4401.
"""

from __future__ import annotations

import json
from importlib import import_module

from channels import auth as channels_auth
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http.cookie import parse_cookie

from accounts.security import Refusal, mfa_refusal, mfa_setup_required, too_many_refusal
from chat.fanout import db_read
from config import outage, socketlimits


def _session_key(headers) -> str | None:
    for name, value in headers or ():
        if name == b"cookie":
            key = parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
            if key:
                return key
    return None


def _user_for(session_key: str | None):
    """The session's user (Channels' own checks: backend, session hash), else anonymous; and
    the refusal, if this user may not open a socket now."""
    if not session_key:
        return AnonymousUser(), None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = channels_auth.get_user.func({"session": session})
    if mfa_setup_required(user):
        return user, mfa_refusal()
    if user.is_authenticated:
        retry_after = socketlimits.hit("connect", user.pk)
        if retry_after is not None:
            return user, too_many_refusal(retry_after)
    return user, None


_load_user = db_read(_user_for)


async def refuse(receive, send, refusal: Refusal) -> None:
    """Accept the handshake, say why in one frame, close (4401, or 4029: try again later)."""
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps(refusal.frame())})
    await send({"type": "websocket.close", "code": refusal.close_code})


class SocketAuthMiddleware:
    """Websocket authentication: the session cookie's user, loaded on the read pool (not
    Channels' single database thread) in one step.

    Unlike Channels' Cookie/Session/Auth stack it keeps nothing per socket once the user is
    known but the session key (so an open socket can check that its log-in still stands): the
    application gets a scope without the handshake headers, cookies or session, and `send` is
    not wrapped (a websocket never saves the session).
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = _session_key(scope.get("headers"))
        try:
            user, refusal = await _load_user(key)
        except (OperationalError, InterfaceError) as exc:
            # The database is away: refuse the handshake; the client retries with backoff.
            outage.down("PostgreSQL", exc)
            if (await receive()).get("type") == "websocket.connect":
                await send({"type": "websocket.close"})
            return None
        if refusal is not None:
            return await refuse(receive, send, refusal)
        inner_scope = {k: v for k, v in scope.items() if k != "headers"}
        inner_scope["user"] = user
        inner_scope["session_key"] = key if user.is_authenticated else None
        del user
        return await self.inner(inner_scope, receive, send)

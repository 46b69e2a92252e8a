"""Websocket authentication for every Village socket (chat, the bell, the moderation queue).

Every socket passes through here, so this is where websockets enforce what HTTP enforces
(accounts/security.py): the session cookie's user, with Channels' own checks (backend, session
hash), and two-step log-in for moderators and staff. A socket that may not be used is accepted
just long enough to be told why (one `error` frame the client shows) and closed with 4401.

The handshake is answered at once, before the user is loaded: nothing is sent or read on the
socket until the log-in is checked, and a server busy with a reconnect storm then never turns
a socket away at the door (daphne refuses a handshake that is not answered within
`--websocket_connect_timeout`, 5 s by default, as a bare HTTP 403 the client cannot tell from
"not allowed"). When the database is away the socket is closed with 4013, "try again later".
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


#: "Try again later": the database is away; the client reconnects with backoff. (RFC 6455's
#: 1013, in the range daphne lets an application use: docs/chat-protocol.md.)
CLOSE_RETRY = 4013


async def refuse(send, refusal: Refusal) -> None:
    """Say why in one frame and close (4401, or 4029: try again later)."""
    await send({"type": "websocket.send", "text": json.dumps(refusal.frame())})
    await send({"type": "websocket.close", "code": refusal.close_code})


def _accepted_already(send):
    """`send` for the application: its own `websocket.accept` was answered already."""

    async def send_after_accept(message):
        if message.get("type") == "websocket.accept":
            return
        await send(message)

    return send_after_accept


def _replaying(first, receive):
    """`receive` for the application: the `websocket.connect` read here first, then the rest."""
    pending = [first]

    async def receive_again():
        if pending:
            return pending.pop()
        return await receive()

    return receive_again


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
        first = await receive()
        if first.get("type") != "websocket.connect":
            return None
        await send({"type": "websocket.accept"})
        key = _session_key(scope.get("headers"))
        try:
            user, refusal = await _load_user(key)
        except (OperationalError, InterfaceError) as exc:
            # The database is away: the client retries with backoff.
            outage.down("PostgreSQL", exc)
            await send({"type": "websocket.close", "code": CLOSE_RETRY})
            return None
        if refusal is not None:
            return await refuse(send, refusal)
        inner_scope = {k: v for k, v in scope.items() if k != "headers"}
        inner_scope["user"] = user
        inner_scope["session_key"] = key if user.is_authenticated else None
        del user
        return await self.inner(inner_scope, _replaying(first, receive), _accepted_already(send))

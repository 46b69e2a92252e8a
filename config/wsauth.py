"""Websocket authentication for every Village socket (chat, the bell, the moderation queue)."""

from __future__ import annotations

from importlib import import_module

from channels import auth as channels_auth
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie

from chat.fanout import db_read


def _session_key(headers) -> str | None:
    for name, value in headers or ():
        if name == b"cookie":
            key = parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
            if key:
                return key
    return None


def _user_for(session_key: str | None):
    """The session's user (Channels' own checks: backend, session hash), else anonymous."""
    if not session_key:
        return AnonymousUser()
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return channels_auth.get_user.func({"session": session})


_load_user = db_read(_user_for)


class SocketAuthMiddleware:
    """Websocket authentication: the session cookie's user, loaded on the read pool (not
    Channels' single database thread) in one step.

    Unlike Channels' Cookie/Session/Auth stack it keeps nothing per socket once the user is
    known: the application gets a scope without the handshake headers, cookies or session,
    and `send` is not wrapped (a websocket never saves the session). An idle socket is mostly
    what it holds, and every frame sent skips the session wrapper.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = await _load_user(_session_key(scope.get("headers")))
        inner_scope = {k: v for k, v in scope.items() if k != "headers"}
        inner_scope["user"] = user
        del user
        return await self.inner(inner_scope, receive, send)

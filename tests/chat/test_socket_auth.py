"""The real websocket stack (config.asgi.application): origin check, the session cookie's
user, and what a socket keeps once it is open."""

from __future__ import annotations

import json
import os

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client as HttpClient

from .conftest import db_async

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def application():
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")  # leave the test process's GC alone
    from config.asgi import application

    return application


def _session_cookie(user) -> str:
    client = HttpClient()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _comm(application, group, *, cookie: str | None, origin: str = "http://testserver"):
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/groups/{group.slug}/chat/", headers=headers)


async def test_a_member_with_a_session_cookie_is_let_in(application, member, group, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    comm = _comm(application, group, cookie=await db_async(_session_cookie)(member))
    connected, _ = await comm.connect()
    assert connected
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    types = []
    while "resume.done" not in types and "reset" not in types:
        types.append(json.loads((await comm.receive_output(3))["text"])["type"])
    await comm.disconnect()


async def test_no_cookie_or_a_stale_one_is_refused_4401(application, member, group, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    for cookie in (None, "not-a-session"):
        comm = _comm(application, group, cookie=cookie)
        connected, _ = await comm.connect()
        assert connected  # accepted, then closed with the reason
        out = await comm.receive_output(3)
        assert out == {"type": "websocket.close", "code": 4401}


async def test_a_session_from_before_a_password_change_is_refused(
    application, member, group, settings
):
    settings.ALLOWED_HOSTS = ["testserver"]
    cookie = await db_async(_session_cookie)(member)

    def change_password():
        member.set_password("a-brand-new-passphrase")
        member.save()

    await db_async(change_password)()
    comm = _comm(application, group, cookie=cookie)
    await comm.connect()
    assert await comm.receive_output(3) == {"type": "websocket.close", "code": 4401}


async def test_a_foreign_origin_is_refused(application, member, group, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    comm = _comm(
        application,
        group,
        cookie=await db_async(_session_cookie)(member),
        origin="https://evil.example",
    )
    connected, _ = await comm.connect()
    assert not connected


async def test_the_consumer_keeps_no_headers_cookies_or_session(application, member, group):
    """What an idle socket holds: the scope it was given has none of the handshake's
    headers, cookies or login session."""
    from config.wsauth import SocketAuthMiddleware

    seen = {}

    async def inner(scope, receive, send):
        seen.update(scope)

    async def receive():
        return {"type": "websocket.connect"}

    sent = []

    async def send(message):
        sent.append(message)

    cookie = await db_async(_session_cookie)(member)
    headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]
    await SocketAuthMiddleware(inner)(
        {"type": "websocket", "path": "/ws/", "headers": headers}, receive, send
    )
    assert sent == [{"type": "websocket.accept"}]
    assert seen["user"].pk == member.pk
    assert not {"headers", "cookies", "session"} & set(seen)

"""The websocket front door (config.asgi.application): only the site's own origin gets in, and
a path no route knows is closed cleanly, with nothing logged at ERROR."""

from __future__ import annotations

import logging
import os

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from tests.chat.conftest import db_async
from tests.chat.test_socket_auth import _session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "localhost:8301"  # the Host the page was served from


@pytest.fixture
async def opens(settings, member, group):
    """opens(origin=...) -> True when a signed-in member's chat socket is accepted."""
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")  # leave the test process's GC alone
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SITE_URL = "https://village.example.org"
    settings.CSRF_TRUSTED_ORIGINS = []
    from config.asgi import application

    cookie = await db_async(_session_cookie)(member)

    async def _opens(*, origin, host=SITE, scheme="ws", extra=(), path=None) -> bool:
        headers = [
            (b"host", host.encode()),
            (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        headers.extend(extra)
        comm = WebsocketCommunicator(
            application, path or f"/ws/groups/{group.slug}/chat/", headers=headers
        )
        comm.scope["scheme"] = scheme
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    return _opens


async def test_the_sites_own_origin_is_let_in(opens):
    assert await opens(origin="http://localhost:8301")
    assert await opens(origin="HTTP://LocalHost:8301")


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:9999",  # another port
        "https://localhost:8301",  # another scheme
        "https://localhost",  # another scheme and port
        "http://localhost",  # port 80, not 8301
        "http://evil.example:8301",  # another host
        "http://localhost.evil.example:8301",
        "null",
        "",
        None,  # no Origin at all
    ],
)
async def test_any_other_origin_is_refused(opens, origin):
    assert not await opens(origin=origin)


async def test_a_host_outside_allowed_hosts_is_refused_even_with_its_own_origin(opens):
    assert not await opens(origin="http://evil.example:8301", host="evil.example:8301")


async def test_wss_means_the_page_was_https(opens):
    assert await opens(origin="https://localhost", host="localhost", scheme="wss")
    assert not await opens(origin="http://localhost", host="localhost", scheme="wss")


async def test_x_forwarded_proto_counts_only_behind_a_trusted_proxy(opens, settings):
    https = [(b"x-forwarded-proto", b"https")]
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert not await opens(origin="https://localhost", host="localhost", extra=https)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert await opens(origin="https://localhost", host="localhost", extra=https)
    assert not await opens(origin="http://localhost", host="localhost", extra=https)


async def test_site_url_and_csrf_trusted_origins_are_our_own(opens, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.org"]
    assert await opens(origin="https://village.example.org")  # SITE_URL
    assert await opens(origin="https://chat.example.org")
    assert not await opens(origin="https://village.example.org:8443")


@pytest.mark.parametrize(
    "path",
    [
        "/ws/groups/caf%C3%A9/chat/",  # percent-encoded: "café" once unquoted
        "/ws/groups/café/chat/",
        "/ws/nowhere/",
        "/ws/groups/%F0%9F%98%80%00/chat/",
    ],
)
async def test_a_path_no_route_knows_is_closed_cleanly(opens, caplog, path):
    caplog.set_level(logging.INFO)
    assert not await opens(origin="http://localhost:8301", path=path)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "caf" not in caplog.text and "nowhere" not in caplog.text

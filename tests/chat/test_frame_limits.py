"""Every frame type and every connect is limited per member (config/socketlimits.py), and one
socket's flood is refused before it costs anything: the answer is `rate_limited` with a
`retry_after`, the connection stays, and nothing more reaches the database."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client as HttpClient

from tests.factories import MembershipFactory

from .conftest import db_async

pytestmark = pytest.mark.django_db(transaction=True)


async def _answers(c, n):
    """The next n answers (errors or otherwise), ignoring presence and heartbeats."""
    out = []
    while len(out) < n:
        f = await c.recv(3)
        if f["type"] not in ("presence", "heartbeat"):
            out.append(f)
    return out


async def test_hello_is_limited_per_member_and_the_socket_stays(
    member, group, make_client, settings
):
    settings.VILLAGE = {**settings.VILLAGE, "SOCKET_LIMITS": {"hello": (3, 60)}}
    c = make_client(member, group)
    await c.connect()  # the first hello
    for _ in range(2):
        await c.send({"type": "hello", "last_seq": 0})
        assert (await c.until("resume.done", "reset"))[-1]["type"] in ("resume.done", "reset")
    await c.send({"type": "hello", "last_seq": 0})
    refused = (await c.until("error"))[-1]
    assert refused["code"] == "rate_limited" and 1 <= refused["retry_after"] <= 61
    # A second socket of the same member shares the count.
    other = make_client(member, group)
    await other.connect(hello=None)
    await other.send({"type": "hello", "last_seq": 0})
    assert (await other.until("error"))[-1]["code"] == "rate_limited"
    await c.send({"type": "ping"})
    assert (await c.until("pong"))[-1]["type"] == "pong"


async def test_read_frames_past_the_limit_never_reach_the_handler(
    member, group, make_client, settings
):
    settings.VILLAGE = {**settings.VILLAGE, "SOCKET_LIMITS": {"read": (5, 60)}}
    c = make_client(member, group)
    await c.connect()
    for i in range(12):
        await c.send({"type": "read", "seq": i})
    await c.send({"type": "ping"})
    answers = await c.until("pong")
    # Five were handled (a read answers nothing); seven were refused before the database.
    assert [f["code"] for f in answers if f["type"] == "error"] == ["rate_limited"] * 7


async def test_one_socket_flooding_is_refused_before_anything_else(member, group, make_client):
    c = make_client(member, group)
    await c.connect()
    for _ in range(200):
        await c.comm.send_to(text_data='{"type":"ping"}')
    answers = await _answers(c, 200)
    pongs = [f for f in answers if f["type"] == "pong"]
    limited = [f for f in answers if f.get("code") == "rate_limited"]
    assert len(pongs) + len(limited) == 200
    assert 30 <= len(pongs) < 100 and limited[0]["retry_after"] == 1


@pytest.fixture
def application(settings):
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")
    settings.ALLOWED_HOSTS = ["testserver"]
    from config.asgi import application

    return application


async def test_too_many_connects_are_refused_with_4029_and_a_retry_after(
    application, group, settings
):
    settings.VILLAGE = {**settings.VILLAGE, "SOCKET_LIMITS": {"connect": (3, 60)}}
    # The limit counts in fixed minutes: start well inside one, so a slow machine does not
    # carry the four connects across a minute's edge.
    while time.time() % 60 > 40:
        await asyncio.sleep(1)
    user = await db_async(lambda: MembershipFactory(group=group).user)()

    def cookie():
        client = HttpClient()
        client.force_login(user)
        return client.cookies[django_settings.SESSION_COOKIE_NAME].value

    key = await db_async(cookie)()
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={key}".encode()),
    ]
    opened = []
    for path in (f"/ws/groups/{group.slug}/chat/", "/ws/notifications/", "/ws/notifications/"):
        comm = WebsocketCommunicator(application, path, headers=headers)
        assert (await comm.connect())[0]
        # The handshake is answered at once and the log-in checked after (config/wsauth.py):
        # wait until this one's check is done, so the fourth is the one over the limit.
        if "notifications" in path:
            assert json.loads((await comm.receive_output(5))["text"])["type"] == "hello"
        else:
            await comm.send_to(text_data=json.dumps({"type": "ping"}))
            assert json.loads((await comm.receive_output(5))["text"])["type"] == "pong"
        opened.append(comm)
    extra = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    assert (await extra.connect())[0]
    frame = json.loads((await extra.receive_output(3))["text"])
    assert frame.get("code") == "rate_limited" and frame["retry_after"] >= 1, frame
    assert await extra.receive_output(3) == {"type": "websocket.close", "code": 4029}
    for comm in opened:
        await comm.disconnect()

"""Websockets enforce what HTTP enforces (accounts/security.py, config/wsauth.py): two-step
log-in for moderators and staff, and ended log-ins. Through the real ASGI application with real
session cookies, for every kind of socket: a group's chat (listed and unlisted), the bell and
the moderation queue."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client as HttpClient
from django.urls import reverse

from chat.models import Message
from groups.models import Group
from realtime.names import user_group
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from ..chat.conftest import db_async

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "village-test"


@pytest.fixture
def application(settings):
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")
    settings.ALLOWED_HOSTS = ["testserver"]
    from config.asgi import application

    return application


def _logged_in(user) -> HttpClient:
    client = HttpClient()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _cookie(client: HttpClient) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _socket(application, path: str, cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, path, headers=headers)


async def _resumed(comm) -> None:
    while json.loads((await comm.receive_output(3))["text"])["type"] not in (
        "resume.done",
        "reset",
    ):
        pass


async def _frames_until_close(comm, timeout: float = 3.0) -> tuple[list[dict], int | None]:
    frames = []
    while True:
        out = await comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            return frames, out.get("code")
        frames.append(json.loads(out["text"]))


def _chat_path(group) -> str:
    return f"/ws/groups/{group.slug}/chat/"


# --- two-step log-in ---------------------------------------------------------------------------


@pytest.fixture
def unprotected_moderator(db):
    """A moderator who logged in with a password and has no authenticator set up."""
    mod = UserFactory(is_moderator=True)
    listed, unlisted = GroupFactory(), GroupFactory(visibility=Group.Visibility.UNLISTED)
    for g in (listed, unlisted):
        MembershipFactory(group=g, user=mod, role="facilitator")
        MembershipFactory(group=g)
    return mod, listed, unlisted


async def test_every_socket_refuses_a_moderator_without_two_step_log_in(
    application, settings, unprotected_moderator
):
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = True
    mod, listed, unlisted = unprotected_moderator
    client = await db_async(_logged_in)(mod)
    # HTTP sends them to set it up ...
    response = await db_async(client.get)(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    before = await db_async(Message.objects.count)()
    # ... and every socket says so and closes with 4401, before any history is sent.
    for path in (_chat_path(listed), _chat_path(unlisted), "/ws/moderation/", "/ws/notifications/"):
        comm = _socket(application, path, _cookie(client))
        connected, _ = await comm.connect()
        assert connected, path
        await comm.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
        frames, code = await _frames_until_close(comm)
        assert code == 4401, path
        assert [f["code"] for f in frames] == ["mfa_required"], path
        assert "two-step log-in" in frames[0]["message"]
        await comm.disconnect()
    assert await db_async(Message.objects.count)() == before


async def test_with_two_step_log_in_set_up_the_sockets_open(
    application, settings, unprotected_moderator
):
    from allauth.mfa.models import Authenticator

    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = True
    mod, listed, _unlisted = unprotected_moderator
    await db_async(Authenticator.objects.create)(
        user=mod, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    client = await db_async(_logged_in)(mod)
    comm = _socket(application, _chat_path(listed), _cookie(client))
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    types = []
    while not {"resume.done", "reset"} & set(types):
        types.append(json.loads((await comm.receive_output(3))["text"])["type"])
    await comm.disconnect()


# --- ended log-ins -----------------------------------------------------------------------------


@pytest.fixture
def moderating_member(db, settings):
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = False
    user = UserFactory(is_moderator=True)
    group = GroupFactory()
    MembershipFactory(group=group, user=user)
    return user, group


async def _open_all(application, group, cookie):
    chat = _socket(application, _chat_path(group), cookie)
    bell = _socket(application, "/ws/notifications/", cookie)
    queue = _socket(application, "/ws/moderation/", cookie)
    for comm in (chat, bell, queue):
        assert (await comm.connect())[0]
    await chat.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    while json.loads((await chat.receive_output(3))["text"])["type"] not in (
        "resume.done",
        "reset",
    ):
        pass
    assert json.loads((await bell.receive_output(3))["text"])["type"] == "hello"
    return chat, bell, queue


async def _closed_for_ended_session(comm, timeout=2.0) -> bool:
    """Within `timeout` the socket says the log-in ended and closes with 4401."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    frames = []
    while True:
        out = await comm.receive_output(max(0.01, deadline - loop.time()))
        if out["type"] == "websocket.close":
            assert out.get("code") == 4401
            return any(f.get("code") == "session_ended" for f in frames)
        frame = json.loads(out["text"])
        if frame.get("type") in ("presence", "heartbeat", "typing"):
            continue
        frames.append(frame)


def _logout(client):
    return client.post(reverse("account_logout"))


def _change_password(client):
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a new one, long enough",
            "password2": "a new one, long enough",
        },
    )
    assert response.status_code == 302, response.content[:500]


def _delete_account(client):
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize("ending", ["logout", "password_changed_elsewhere", "account_deleted"])
async def test_ending_a_log_in_closes_its_sockets_within_two_seconds(
    application, moderating_member, ending
):
    user, group = moderating_member
    browser = await db_async(_logged_in)(user)
    chat, bell, queue = await _open_all(application, group, _cookie(browser))
    if ending == "logout":
        await db_async(_logout)(browser)
    elif ending == "password_changed_elsewhere":
        other = await db_async(_logged_in)(user)  # the phone; the sockets are the laptop's
        await db_async(_change_password)(other)
    else:
        await db_async(_delete_account)(browser)
    for comm in (chat, bell, queue):
        assert await _closed_for_ended_session(comm)
    # A new socket with the old cookie is refused at the door.
    again = _socket(application, _chat_path(group), _cookie(browser))
    assert (await again.connect())[0]
    assert (await again.receive_output(3)) == {"type": "websocket.close", "code": 4401}


async def test_another_log_in_ending_leaves_this_one_open(application, moderating_member):
    user, group = moderating_member
    laptop = await db_async(_logged_in)(user)
    phone = await db_async(_logged_in)(user)
    chat = _socket(application, _chat_path(group), _cookie(laptop))
    assert (await chat.connect())[0]
    await chat.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    while json.loads((await chat.receive_output(3))["text"])["type"] not in (
        "resume.done",
        "reset",
    ):
        pass
    await db_async(_logout)(phone)
    await chat.send_to(
        text_data=json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": "still here"})
    )
    frames = []
    while not any(f.get("type") == "ack" for f in frames):
        out = await chat.receive_output(3)
        assert out["type"] != "websocket.close"
        frames.append(json.loads(out["text"]))
    await chat.disconnect()


async def test_a_lost_close_message_still_refuses_the_next_frame(application, moderating_member):
    """The `session.ended` event never reaches this socket (its process left the user's
    group on the layer): its next frame is refused all the same, and nothing is stored."""
    user, group = moderating_member
    browser = await db_async(_logged_in)(user)
    chat = _socket(application, _chat_path(group), _cookie(browser))
    assert (await chat.connect())[0]
    await chat.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    while json.loads((await chat.receive_output(3))["text"])["type"] not in (
        "resume.done",
        "reset",
    ):
        pass
    from chat import fanout

    hub = fanout.hub_for(get_channel_layer())
    sub = hub.subs[user_group(user.pk)]
    await sub.layer.group_discard(sub.group, sub.channel)  # the message will be lost
    await db_async(_logout)(browser)
    while not await chat.receive_nothing(0.5):  # presence and heartbeats only: not closed
        out = await chat.receive_output(0.1)
        assert json.loads(out["text"])["type"] in ("presence", "heartbeat"), out
    before = await db_async(Message.objects.count)()
    await chat.send_to(
        text_data=json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": "hello?"})
    )
    frames, code = await _frames_until_close(chat)
    assert code == 4401
    assert [f.get("code") for f in frames if f.get("type") == "error"] == ["session_ended"]
    assert await db_async(Message.objects.count)() == before

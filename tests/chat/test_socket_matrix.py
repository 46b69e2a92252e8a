"""The websocket half of the role x action matrix: what each role may do over a chat socket,
through the real ASGI application (origin check, session cookie, two-step log-in, the chat
consumer) with real log-in sessions. The expected table is written out by hand; it must not be
read from the policy. After every refusal the database is unchanged."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from chat import services
from chat.models import Message, Reaction, Room, RoomEvent
from groups.models import Membership
from tests.factories import MembershipFactory, UserFactory

from .conftest import db_async

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    "anonymous", "outsider", "pending", "member", "muted", "suspended", "facilitator",
    "moderator", "moderator_without_2fa", "staff", "banned", "logged_out",
]  # fmt: skip
#                anon out  pend memb mute susp faci mod  no2fa staf bann lout
MATRIX = {
    "connect":   "N    N    N    Y    Y    Y    Y    Y    N     Y    N    N",
    "send":      "N    N    N    Y    N    N    Y    N    N     N    N    N",
    "react":     "N    N    N    Y    N    N    Y    N    N     N    N    N",
    "pin":       "N    N    N    N    N    N    Y    N    N     N    N    N",
    "slow_mode": "N    N    N    N    N    N    Y    N    N     N    N    N",
}  # fmt: skip
#: How a refused connect closes: 4401 not logged in (or not fully), 4403 not allowed here.
REFUSED_WITH = {
    "anonymous": 4401, "outsider": 4403, "pending": 4403, "moderator_without_2fa": 4401,
    "banned": 4403, "logged_out": 4401,
}  # fmt: skip


def _allowed(action: str, role: str) -> bool:
    return MATRIX[action].split()[ROLES.index(role)] == "Y"


def _person(role: str, group):
    from allauth.mfa.models import Authenticator

    S = Membership.Status
    if role == "anonymous":
        return None
    if role == "outsider":
        return UserFactory()
    if role == "pending":
        return MembershipFactory(group=group, status=S.PENDING, joined_at=None).user
    if role in ("member", "logged_out"):
        return MembershipFactory(group=group).user
    if role == "muted":
        return MembershipFactory(group=group, muted_until=timezone.now() + timedelta(hours=2)).user
    if role == "suspended":
        user = MembershipFactory(group=group).user
        user.suspended_until = timezone.now() + timedelta(days=2)
        user.save(update_fields=["suspended_until"])
        return user
    if role == "facilitator":
        return MembershipFactory(group=group, role=Membership.Role.FACILITATOR).user
    if role in ("moderator", "moderator_without_2fa"):
        user = UserFactory(is_moderator=True)
        if role == "moderator":
            Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"s": 1})
        return user
    if role == "staff":
        user = UserFactory(is_staff=True)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"s": 1})
        return user
    if role == "banned":
        return MembershipFactory(group=group, status=S.BANNED).user
    raise ValueError(role)


def _cookie(user, role) -> str | None:
    if user is None:
        return None
    client = HttpClient()
    client.force_login(user)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    if role == "logged_out":
        client.post(reverse("account_logout"))
    return key


def _world(role, group):
    author = MembershipFactory(group=group).user
    room = services.room_for_group(group.pk)
    target = services.message_send(
        user=author, room=room, body="a message", client_id=uuid.uuid4()
    ).message
    user = _person(role, group)
    return user, _cookie(user, role), target


def _snapshot(group):
    room = Room.objects.get(group=group)
    return (
        Message.objects.filter(room=room).count(),
        Reaction.objects.filter(message__room=room).count(),
        Message.objects.filter(room=room, pinned_at__isnull=False).count(),
        room.slow_mode_seconds,
        RoomEvent.objects.filter(room=room).count(),
    )


@pytest.fixture
def application(settings):
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = True
    from config.asgi import application

    return application


async def _next(comm, timeout=3.0) -> dict:
    while True:
        out = await comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            return {"type": "__closed__", "code": out.get("code")}
        frame = json.loads(out["text"])
        if frame["type"] not in ("presence", "heartbeat", "typing"):
            return frame


async def _after_ping(comm) -> list[dict]:
    await comm.send_to(text_data='{"type":"ping"}')
    frames = []
    while True:
        f = await _next(comm)
        frames.append(f)
        if f["type"] in ("pong", "__closed__"):
            return frames


FRAMES = {
    "send": lambda m: {"type": "send", "client_id": str(uuid.uuid4()), "body": "hello"},
    "react": lambda m: {"type": "react", "message_id": m.pk, "emoji": "heart"},
    "pin": lambda m: {"type": "pin", "message_id": m.pk, "pinned": True},
    "slow_mode": lambda m: {"type": "slow_mode", "seconds": 30},
}


@pytest.mark.parametrize("role", ROLES)
async def test_the_chat_socket_matrix(application, group, role):
    user, cookie, target = await db_async(_world)(role, group)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    comm = WebsocketCommunicator(application, f"/ws/groups/{group.slug}/chat/", headers=headers)
    assert (await comm.connect())[0]
    before = await db_async(_snapshot)(group)
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    first = []
    while True:
        f = await _next(comm)
        first.append(f)
        if f["type"] in ("resume.done", "reset", "__closed__"):
            break
    if not _allowed("connect", role):
        assert first[-1] == {"type": "__closed__", "code": REFUSED_WITH[role]}, first
        assert not [f for f in first if f["type"] in ("message.created", "reset")], "no history"
        assert await db_async(_snapshot)(group) == before
        return
    assert first[-1]["type"] in ("resume.done", "reset")
    for action, build in FRAMES.items():
        before = await db_async(_snapshot)(group)
        await comm.send_to(text_data=json.dumps(build(target)))
        answers = await _after_ping(comm)
        errors = [f for f in answers if f["type"] == "error"]
        after = await db_async(_snapshot)(group)
        if _allowed(action, role):
            assert not errors, (action, errors)
            assert after != before, action
        else:
            assert errors and errors[0]["code"] in ("forbidden", "muted", "suspended"), (
                action,
                answers,
            )
            assert after == before, action
    await comm.disconnect()

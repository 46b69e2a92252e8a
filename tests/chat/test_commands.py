"""One command layer (chat/commands.py) behind both ways of asking: the websocket
(`protocol.handle`) and the no-JavaScript forms (`views.room_page`). A refusal has one code and
one wording, whichever way the member asked, and nothing is stored."""

from __future__ import annotations

import ast
import json
import uuid
import zoneinfo
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from chat import checkins, protocol, services
from chat.models import Message
from groups.models import Membership
from tests.factories import login_session

from .conftest import room_url
from .conftest import send_message as send

pytestmark = pytest.mark.django_db

CHAT = Path(__file__).resolve().parents[2] / "chat"


def _by_socket(user, group, frame: dict, checkin=None) -> tuple[str, str]:
    """The error frame the websocket answers `frame` with: (code, message)."""
    if checkin is not None:
        session = protocol.connect(user, "", login_session(user), checkin_id=checkin.pk)
    else:
        session = protocol.connect(user, group.slug, login_session(user))
    assert isinstance(session, protocol.Session), session
    parsed = protocol.parse(json.dumps(frame), None)
    outcome = protocol.handle(session, parsed)
    errors = [f for f in outcome.frames if f["type"] == "error"]
    assert len(errors) == 1, outcome.frames
    assert outcome.close_code is None
    if frame["type"] == "send":  # about a send: the client's outbox knows which
        assert errors[0]["client_id"] == frame["client_id"]
    return errors[0]["code"], errors[0]["message"]


def _by_form(client, user, url: str, data: dict) -> tuple[str, str]:
    """What the no-JS page says when `data` is posted: (code, message), shown on the page."""
    client.force_login(user)
    r = client.post(url, data)
    assert r.status_code == 400
    code, message = str(r.context["error_code"]), str(r.context["error"])
    page = r.content.decode().replace("&#x27;", "'")
    if code == "muted":  # the page's notice says when, in place of the composer
        assert "You can post again after" in page and "data-chat-composer" not in page
    else:
        assert message in page
    return code, message


def _send_frame(body="hi"):
    return {"type": "send", "client_id": str(uuid.uuid4()), "body": body}


def _send_form(body="hi"):
    return {"action": "send", "body": body, "client_id": str(uuid.uuid4())}


def _same(client, user, group, frame, data, url=None, checkin=None):
    before = Message.objects.count()
    by_socket = _by_socket(user, group, frame, checkin)
    by_form = _by_form(client, user, url or room_url(group), data)
    assert by_socket == by_form
    assert Message.objects.count() == before
    return by_socket


def test_muted_member_send(client, member, group, room):
    until = timezone.now() + timedelta(hours=1)
    Membership.objects.filter(user=member).update(muted_until=until)
    code, message = _same(client, member, group, _send_frame(), _send_form())
    assert code == "muted"
    assert message.startswith("You can post again after ")


def test_muted_member_send_says_when_in_their_own_time_zone(client, member, group, room):
    until = timezone.now() + timedelta(hours=1)
    Membership.objects.filter(user=member).update(muted_until=until)
    member.time_zone = "Asia/Tokyo"  # never the site's zone: the socket would show London's
    member.save(update_fields=["time_zone"])
    code, message = _same(client, member, group, _send_frame(), _send_form())
    tokyo = timezone.localtime(until, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert code == "muted" and f"{tokyo:%H}:{tokyo:%M}" in message


def test_suspended_send(client, member, group, room):
    member.suspended_until = timezone.now() + timedelta(days=2)
    member.save(update_fields=["suspended_until"])
    code, message = _same(client, member, group, _send_frame(), _send_form())
    assert (code, message) == ("suspended", "Your account is paused for now, so you can't post.")


def test_non_facilitator_pin(client, member, facilitator, group, room):
    m = send(facilitator, room, "pin me")
    frame = {"type": "pin", "message_id": m.pk, "pinned": True}
    code, message = _same(client, member, group, frame, {"action": "pin", "message_id": m.pk})
    assert (code, message) == ("forbidden", "Only facilitators can pin messages.")
    m.refresh_from_db()
    assert m.pinned_at is None


def test_non_facilitator_slow_mode(client, member, group, room):
    frame = {"type": "slow_mode", "seconds": 30}
    data = {"action": "slow_mode", "seconds": "30"}
    code, message = _same(client, member, group, frame, data)
    assert (code, message) == ("forbidden", "Only facilitators can change slow mode.")
    room.refresh_from_db()
    assert room.slow_mode_seconds == 0


def test_slow_mode_refusal(client, member, facilitator, group, room):
    services.room_set_slow_mode(user=facilitator, room=room, seconds=30)
    send(member, room, "my one message for now")
    code, message = _same(client, member, group, _send_frame(), _send_form())
    assert (code, message) == (
        "slow_mode",
        "Slow mode is on: you can send one message every 30 seconds.",
    )


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_blank_body(client, member, group, room, body):
    code, message = _same(client, member, group, _send_frame(body), _send_form(body))
    assert (code, message) == ("empty", "Your message is empty. Type something first.")


def test_too_long_body(client, member, group, room, settings):
    limit = settings.VILLAGE["CHAT_MAX_MESSAGE_CHARS"]
    body = "a" * (limit + 1)
    code, message = _same(client, member, group, _send_frame(body), _send_form(body))
    assert code == "too_long"
    assert message == (
        f"That message is a little long: please keep it under {limit} characters."
    )


def test_blank_edit_is_refused_with_the_same_words(client, member, group, room):
    m = send(member, room, "first words")
    frame = {"type": "edit", "message_id": m.pk, "body": " "}
    data = {"action": "edit", "message_id": m.pk, "body": " "}
    assert _same(client, member, group, frame, data)[0] == "empty"
    m.refresh_from_db()
    assert m.body == "first words"


def test_a_checkin_never_pins_whoever_asks(client, member, facilitator, group, room):
    checkin = checkins.checkin_start(user=facilitator, group=group, member=member)
    m = send(member, checkin, "private words")
    frame = {"type": "pin", "message_id": m.pk, "pinned": True}
    data = {"action": "pin", "message_id": m.pk}
    url = checkins.checkin_url(checkin)
    code, message = _same(client, facilitator, group, frame, data, url=url, checkin=checkin)
    assert code == "forbidden"
    assert message == "Pinning and slow mode aren't used in private check-ins."
    m.refresh_from_db()
    assert m.pinned_at is None


# --- one dispatcher -----------------------------------------------------------------------------

WRITES = {
    "message_send",
    "message_edit",
    "message_delete",
    "reaction_toggle",
    "message_pin",
    "room_set_slow_mode",
}


@pytest.mark.parametrize("name", ["views.py", "protocol.py", "checkin_views.py"])
def test_interfaces_reach_the_room_writes_only_through_commands(name):
    tree = ast.parse((CHAT / name).read_text())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not used & WRITES, f"{name} calls {sorted(used & WRITES)} itself"

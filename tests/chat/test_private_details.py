"""The private nudge before sharing personal details: only the author is asked "Send anyway?",
over the websocket and on the no-JS form, and nothing of what was noticed is stored."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from accounts.models import User
from chat import checkins
from chat.models import Message, RoomEvent
from groups.models import Group
from tests.conftest import SENTINEL
from tests.factories import MembershipFactory

from .conftest import db_async

PHONE = "07911 123456"
WITH_PHONE = f"{SENTINEL}: ring me on {PHONE} tonight"


def _stored_anywhere(needle: str) -> list[str]:
    """Every table whose rows contain `needle` (the whole database, read raw)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from Django)
            if needle in repr(cursor.fetchall()):
                found.append(table)
    return found


async def say(client, body: str, **extra) -> dict:
    """Send `body`; the reply (an ack, an error or the personal-details question)."""
    cid = extra.pop("client_id", None) or str(uuid.uuid4())
    await client.send({"type": "send", "client_id": cid, "body": body, **extra})
    return (await client.until("ack", "error", "confirm_private"))[-1]


@pytest.fixture
def other(group):
    return MembershipFactory(group=group).user


# --- the websocket ---------------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=True)


async def test_only_the_author_is_asked_and_nothing_is_stored(member, other, group, make_client):
    a, b = make_client(member, group), make_client(other, group)
    await a.connect()
    await b.connect()
    cid = str(uuid.uuid4())
    reply = await say(a, WITH_PHONE, client_id=cid)
    assert reply["type"] == "confirm_private" and reply["client_id"] == cid
    assert reply["kinds"] == ["phone"]
    assert reply["message"] == (
        "This message includes a phone number. Everyone in the group will see it. Send anyway?"
    )
    assert reply["dont_ask"] == [
        {"kind": "phone", "label": "Don't ask me again about phone numbers"}
    ]
    assert PHONE not in str(reply)  # the question names the kind, never the detail
    assert await b.nothing(0.3)  # nobody else hears a thing
    assert await db_async(Message.objects.count)() == 0
    assert await db_async(RoomEvent.objects.count)() == 0
    assert await db_async(_stored_anywhere)(PHONE) == []

    # "Send anyway": the same command with confirmed, the same client id.
    ack = await say(a, WITH_PHONE, client_id=cid, confirmed=True)
    assert ack["type"] == "ack"
    created = (await b.until("message.created"))[-1]
    assert created["message"]["body"] == WITH_PHONE
    assert await db_async(User.objects.values_list("private_details_skip", flat=True).get)(
        pk=member.pk
    ) == []


async def test_dont_ask_again_is_per_kind(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    first = await say(a, f"{PHONE}?", confirmed=True, dont_ask=["phone", "nonsense"])
    assert first["type"] == "ack"
    stored = await db_async(User.objects.values_list("private_details_skip", flat=True).get)(
        pk=member.pk
    )
    assert stored == ["phone"]
    # The socket's own check is refreshed per frame: phone numbers go straight through now...
    assert (await say(a, f"new number {PHONE}"))["type"] == "ack"
    # ...email addresses are still asked about.
    asked = await say(a, "write to sam@example.com")
    assert asked["type"] == "confirm_private" and asked["kinds"] == ["email"]


async def test_a_group_can_turn_the_check_off(member, group, make_client):
    await db_async(Group.objects.filter(pk=group.pk).update)(private_details_check=False)
    a = make_client(member, group)
    await a.connect()
    assert (await say(a, f"my number {PHONE}"))["type"] == "ack"


async def test_an_ordinary_message_is_not_asked_about(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    assert (await say(a, "See you at 19:30 in room 101, it's £2.50"))["type"] == "ack"


async def test_confirmed_must_be_true_or_false(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    bad = await say(a, f"my number {PHONE}", confirmed="yes")
    assert bad["type"] == "error" and bad["code"] == "bad_frame"
    assert await db_async(Message.objects.count)() == 0


async def test_a_checkin_asks_too_naming_the_facilitators(group, facilitator, make_client):
    member = await db_async(lambda: MembershipFactory(group=group).user)()
    room = await db_async(
        lambda: checkins.checkin_start(user=facilitator, group=group, member=member, source="drift")
    )()
    c = make_client(member, group, f"/ws/checkins/{room.pk}/")
    await c.connect()
    reply = await say(c, "my address is 14 Elm Road")
    assert reply["type"] == "confirm_private" and reply["kinds"] == ["address"]
    assert "The group's facilitators will see it." in reply["message"]
    assert await db_async(Message.objects.filter(room=room).count)() == 0
    assert (await say(c, "my address is 14 Elm Road", confirmed=True))["type"] == "ack"

"""A shared service card reaches the live client as it reaches the no-JS page."""

import uuid

import pytest

from chat import services
from chat.services import room_for_group

from .conftest import db_async

pytestmark = pytest.mark.django_db(transaction=True)

CARD = {"uuid": str(uuid.uuid4()), "name": "Stourbridge Food Bank",
        "times": ["Tue, Thu 10:00–13:00"], "phone": "01384 000102", "tel": "01384000102",
        "path": "/help/services/x/"}


async def test_the_card_is_in_the_live_frames_and_the_history(group, member, make_client):
    listener = make_client(member, group)
    await listener.connect()

    def share():
        room = room_for_group(group.pk)
        return services.message_send(
            user=member, room=room, body="📌 Stourbridge Food Bank", client_id=uuid.uuid4(),
            card=CARD,
        ).message

    await db_async(share)()
    live = (await listener.until("message.created"))[-1]
    assert live["message"]["card"] == CARD
    later = make_client(member, group)
    frames = await later.connect()
    replayed = [f["message"] for f in frames if f["type"] == "message.created"]
    assert [m["card"] for m in replayed] == [CARD]

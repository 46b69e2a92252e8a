"""Room broadcasts may ride their own channel layer (config/settings/base.py: "rooms", pub/sub on
Redis) while member-directed events stay on the default layer (the jobs ask it who is online):
each kind of traffic must go, and be listened for, on its own layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from realtime import names
from realtime.names import room_group, user_group
from tests.chat.conftest import send_message
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

TWO_LAYERS = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "rooms": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
}


@pytest.fixture
def two_layers(settings):
    settings.CHANNEL_LAYERS = TWO_LAYERS
    assert names.room_layer() is not get_channel_layer()


async def test_room_events_go_on_the_room_layer_and_kicks_on_the_default(
    two_layers, group, room, make_client
):
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    a = make_client(users[0], group)
    await a.connect()
    # A room event sent on the default layer reaches no one: rooms listen on "rooms" ...
    wrong = {"type": "chat.presence", "text": '{"type":"presence","members":["wrong"]}'}
    await get_channel_layer().group_send(room_group(room.pk), wrong)
    # ... where real broadcasts go.
    await db(send_message)(users[1], room, "over the rooms layer")
    frames = await a.until("message.created")
    assert frames[-1]["message"]["body"] == "over the rooms layer"
    assert not [f for f in frames if f.get("members") == ["wrong"]]
    # Kicks stay on the default layer (per-user groups).
    await get_channel_layer().group_send(
        user_group(users[0].pk),
        {"type": "user.event", "event": {"type": "membership.revoked", "group_id": group.pk}},
    )
    assert (await a.until("__closed__"))[-1]["code"] == 4403


async def test_typing_goes_on_the_room_layer(two_layers, group, make_client):
    users = await db(lambda: [MembershipFactory(group=group).user for _ in range(2)])()
    a, b = make_client(users[0], group), make_client(users[1], group)
    await a.connect()
    await b.connect()
    await a.send({"type": "typing"})
    typing = (await b.until("typing"))[-1]
    assert typing["user"]["id"] == users[0].pk
    await a.close()
    await b.close()


def test_without_a_rooms_alias_rooms_use_the_default_layer(settings):
    settings.CHANNEL_LAYERS = {"default": TWO_LAYERS["default"]}
    assert names.room_layer_alias() == "default"
    assert names.room_layer() is get_channel_layer()

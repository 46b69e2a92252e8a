"""Random frames never crash the consumer, close the socket, or touch another room."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chat import services
from chat.models import Message, Reaction, RoomEvent
from chat.protocol import CLIENT_TYPES
from tests.chat.conftest import Client
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.uuids().map(str),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
keys = st.sampled_from(
    ["client_id", "body", "reply_to", "message_id", "emoji", "pinned", "seconds", "seq", "last_seq"]
)


@st.composite
def frames(draw, foreign_id: int):
    kind = draw(st.sampled_from(["json", "json", "json", "text", "bytes", "huge"]))
    if kind == "text":
        return ("text", draw(st.text(min_size=1, max_size=60)))
    if kind == "bytes":
        return ("bytes", draw(st.binary(min_size=1, max_size=40)))
    if kind == "huge":
        return ("text", json.dumps({"type": "send", "body": "x" * 20000}))
    frame = {"type": draw(st.sampled_from(sorted(CLIENT_TYPES) + ["nope", ""]))}
    for k in draw(st.lists(keys, max_size=4, unique=True)):
        frame[k] = draw(st.one_of(values, st.just(foreign_id), st.sampled_from(["heart", "hug"])))
    if draw(st.booleans()):
        frame["message_id"] = foreign_id  # another room's message
    return ("text", json.dumps(frame, allow_nan=True))


@pytest.fixture
def world(group):
    member = MembershipFactory(group=group).user
    other_group = GroupFactory()
    stranger = MembershipFactory(group=other_group).user
    other_room = services.room_for_group(other_group.pk)
    foreign = services.message_send(
        user=stranger,
        room=other_room,
        body="theirs",
        client_id="00000000-0000-4000-8000-000000000001",
    ).message
    services.room_for_group(group.pk)
    return member, stranger, other_group, foreign


def _other_room_state(other_group):
    return (
        list(
            Message.objects.filter(room__group=other_group).values_list(
                "id", "body", "edited_at", "deleted_at", "pinned_at", "state"
            )
        ),
        list(RoomEvent.objects.filter(room__group=other_group).values_list("seq", flat=True)),
        Reaction.objects.filter(message__room__group=other_group).count(),
    )


def test_random_frames(world, group, settings):
    member, stranger, other_group, foreign = world
    before = _other_room_state(other_group)

    @hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames(foreign.pk), min_size=1, max_size=6))
    def check(batch):
        async def run():
            me, them = Client(member, group), Client(stranger, other_group)
            await me.connect()
            await them.connect(hello=None)
            await them.until("presence")
            for kind, payload in batch:
                if kind == "bytes":
                    await me.comm.send_to(bytes_data=payload)
                else:
                    await me.comm.send_to(text_data=payload)
            await me.send({"type": "ping"})
            frames_back = await me.until("pong", timeout=5)
            assert all(f["type"] != "__closed__" for f in frames_back)
            assert all(f.get("code") != "server_error" for f in frames_back), frames_back
            assert await them.nothing(0.1), "nothing reaches another room"
            await me.close()
            await them.close()

        async_to_sync(run)()

    check()
    assert _other_room_state(other_group) == before

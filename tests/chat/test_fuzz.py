"""Random frames never crash the consumer, close the socket, touch another room, or log at
ERROR: more than 2,000 frames a run, with lone surrogates, deep nesting and junk of every kind."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chat import services
from chat.models import Message, Reaction, RoomEvent
from chat.protocol import CLIENT_TYPES
from tests.chat.conftest import Client
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

#: Text as an attacker may spell it in JSON: lone and reversed surrogates, controls, bidi.
surrogates = st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800", "\ud83d", "\x00", "\u202e"])
texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.text(max_size=5), surrogates), max_size=5).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    texts,
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
    kind = draw(st.sampled_from(["json", "json", "json", "text", "bytes", "huge", "deep"]))
    if kind == "text":
        return ("text", draw(st.text(min_size=1, max_size=60)))
    if kind == "deep":  # nesting far past what json.loads recurses into, within the size cap
        depth = draw(st.integers(min_value=50, max_value=7000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        return ("text", '{"type":"send","body":' + opener * depth + "1")
    if kind == "bytes":
        return ("bytes", draw(st.binary(min_size=1, max_size=40)))
    if kind == "huge":
        return ("text", json.dumps({"type": "send", "body": "x" * 20000}))
    frame = {"type": draw(st.sampled_from(sorted(CLIENT_TYPES) + ["nope", ""]))}
    for k in draw(st.lists(keys, max_size=4, unique=True)):
        frame[k] = draw(st.one_of(values, st.just(foreign_id), st.sampled_from(["heart", "hug"])))
    if draw(st.booleans()) and frame["type"] == "send":  # a well-formed send with bad text
        frame["client_id"] = draw(st.sampled_from([str(uuid.uuid4()), "\ud800", "x\udfff"]))
        frame["body"] = draw(texts)
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


FRAMES_PER_RUN = 2000


def test_random_frames(world, group, settings, caplog, monkeypatch):
    member, stranger, other_group, foreign = world
    before = _other_room_state(other_group)
    # Limits would answer most of a flood with rate_limited (tests/chat/test_frame_limits.py):
    # here every frame must reach the parser and the handlers.
    from config.socketlimits import DEFAULTS

    settings.VILLAGE = {
        **settings.VILLAGE,
        "CHAT_FRAME_BURST": 10**6,
        "CHAT_RATE_LIMIT_COUNT": 10**6,
        "SOCKET_LIMITS": dict.fromkeys(DEFAULTS, (10 ** 6, 60)),
    }
    sent = 0
    caplog.set_level(logging.WARNING)

    @hsettings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames(foreign.pk), min_size=40, max_size=60))
    def check(batch):
        nonlocal sent
        # Every batch carries at least one well-formed send whose text has a lone surrogate.
        batch = [
            *batch,
            ("text", '{"type":"send","client_id":"' + str(uuid.uuid4()) + '","body":"a\\ud800b"}'),
        ]
        sent += len(batch)

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
    assert sent >= FRAMES_PER_RUN
    assert _other_room_state(other_group) == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors[:5]]


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"send","client_id":"' + str(uuid.uuid4()) + '","body":"hi \\ud800 there"}',
        '{"type":"send","client_id":"\\ud800","body":"hi"}',
        '{"type":"edit","message_id":1,"body":"\\udfff"}',
        '{"type":"react","message_id":1,"emoji":"\\ud83d"}',
        '{"type":"hello","last_seq":0,"\\ud800":1}',
    ],
)
async def test_lone_surrogates_get_an_error_frame_and_nothing_logs_at_error(
    member, group, make_client, frame, caplog
):
    caplog.set_level(logging.WARNING)
    c = make_client(member, group)
    await c.connect()
    await c.comm.send_to(text_data=frame)
    reply = await c.until("error")
    assert reply[-1]["code"] == "bad_text"
    assert reply[-1].get("client_id") in (None, json.loads(frame).get("client_id"))
    await c.send({"type": "ping"})
    assert (await c.until("pong"))[-1]["type"] == "pong"  # the connection stays
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await database_sync_to_async(Message.objects.count)() == 0

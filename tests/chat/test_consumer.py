"""The chat websocket, frame by frame, through Channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from chat.models import Message, Reaction, ReadMarker, RoomEvent
from realtime.names import user_group
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other(group):
    return MembershipFactory(group=group).user


async def test_send_is_acked_and_delivered_in_order(member, other, group, make_client):
    a, b = make_client(member, group), make_client(other, group)
    assert (await a.connect())[-1] == {"type": "resume.done", "head": 0}
    await b.connect()
    ack = await a.message("Hello everyone\nsecond line")
    assert ack["type"] == "ack"
    m = await db(Message.objects.get)(pk=ack["message_id"])
    assert ack["seq"] == m.seq == 1
    created = (await b.until("message.created"))[-1]
    assert created["seq"] == 1
    assert created["message"]["body"] == "Hello everyone\nsecond line"
    assert created["message"]["author"] == {"id": member.pk, "name": member.display_name}
    assert "email" not in json.dumps(created)
    mine = (await a.until("message.created"))[-1]
    assert mine == created
    await a.close()
    await b.close()


async def test_resend_same_client_id_gets_identical_ack(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    cid = str(uuid.uuid4())
    first = await a.message("once", client_id=cid)
    second = await a.message("once", client_id=cid)
    assert first == second
    assert await db(Message.objects.filter(author=member).count)() == 1
    await a.close()


async def test_edit_delete_react_pin(member, facilitator, group, make_client):
    a, f = make_client(member, group), make_client(facilitator, group)
    await a.connect()
    await f.connect()
    ack = await a.message("first")
    mid = ack["message_id"]
    await f.until("message.created")

    await a.send({"type": "edit", "message_id": mid, "body": "first, edited"})
    ev = (await f.until("message.edited"))[-1]
    assert ev["message"]["body"] == "first, edited" and ev["message"]["edited"] is True

    await f.send({"type": "react", "message_id": mid, "emoji": "heart"})
    ev = (await a.until("reaction.changed"))[-1]
    assert ev["reactions"] == {"heart": [facilitator.pk]}
    await f.send({"type": "react", "message_id": mid, "emoji": "heart"})
    ev = (await a.until("reaction.changed"))[-1]
    assert ev["reactions"] == {}

    await f.send({"type": "pin", "message_id": mid, "pinned": True})
    ev = (await a.until("message.pinned"))[-1]
    assert ev["message"]["pinned"] is True
    await f.send({"type": "pin", "message_id": mid, "pinned": False})
    assert (await a.until("message.unpinned"))[-1]["message"]["pinned"] is False

    await a.send({"type": "delete", "message_id": mid})
    ev = (await f.until("message.deleted"))[-1]
    assert ev["message"]["deleted"] is True and ev["message"]["body"] == ""
    seqs = await db(lambda: list(RoomEvent.objects.values_list("seq", flat=True)))()
    assert seqs == list(range(1, len(seqs) + 1))
    await a.close()
    await f.close()


async def test_members_cannot_pin_or_set_slow_mode(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    ack = await a.message("x")
    await a.send({"type": "pin", "message_id": ack["message_id"], "pinned": True})
    err = (await a.until("error"))[-1]
    assert err["code"] == "forbidden"
    await a.send({"type": "slow_mode", "seconds": 30})
    assert (await a.until("error"))[-1]["code"] == "forbidden"
    await a.close()


async def test_cannot_edit_or_delete_someone_elses(member, other, group, make_client):
    a, b = make_client(member, group), make_client(other, group)
    await a.connect()
    await b.connect()
    ack = await a.message("mine")
    await b.send({"type": "edit", "message_id": ack["message_id"], "body": "hijack"})
    assert (await b.until("error"))[-1]["code"] == "forbidden"
    await b.send({"type": "delete", "message_id": ack["message_id"]})
    assert (await b.until("error"))[-1]["code"] == "forbidden"
    m = await db(Message.objects.get)(pk=ack["message_id"])
    assert m.body == "mine" and m.deleted_at is None
    await a.close()
    await b.close()


async def test_anonymous_is_refused_with_4401(group):
    from django.contrib.auth.models import AnonymousUser

    from tests.chat.conftest import Client

    c = Client(AnonymousUser(), group)
    connected, _ = await c.comm.connect()
    assert (await c.recv())["code"] == 4401


async def test_non_member_is_refused_with_4403(user, group, make_client):
    c = make_client(user, group)
    await c.comm.connect()
    assert (await c.recv()) == {"type": "__closed__", "code": 4403}


async def test_another_groups_message_ids_are_not_found(member, group, make_client):
    other_group = await db(GroupFactory)()
    stranger = await db(lambda: MembershipFactory(group=other_group).user)()
    s = make_client(stranger, other_group)
    await s.connect()
    ack = await s.message("private to the other group")
    await s.until("message.created")
    a = make_client(member, group)
    await a.connect()
    for frame in (
        {"type": "edit", "message_id": ack["message_id"], "body": "x"},
        {"type": "delete", "message_id": ack["message_id"]},
        {"type": "react", "message_id": ack["message_id"], "emoji": "heart"},
        {
            "type": "send",
            "client_id": str(uuid.uuid4()),
            "body": "re",
            "reply_to": ack["message_id"],
        },
    ):
        await a.send(frame)
        err = (await a.until("error"))[-1]
        assert err["code"] == "not_found", frame
    assert await s.nothing()
    assert await db(Reaction.objects.count)() == 0
    await a.close()
    await s.close()


@pytest.mark.parametrize(
    "raw,code",
    [
        ("{not json", "bad_json"),
        ("[1,2]", "bad_frame"),
        ('{"type":"launch"}', "unknown_type"),
        ('{"type":"send","body":5}', "bad_frame"),
        ('{"type":"edit","message_id":"1","body":"x"}', "bad_frame"),
        ('{"type":"read","seq":true}', "bad_frame"),
        ('{"type":"send","client_id":"not-a-uuid","body":"x"}', "invalid"),
        ('{"type":"send","client_id":"' + str(uuid.uuid4()) + '","body":"   "}', "empty"),
        ('{"type":"react","message_id":999999,"emoji":"heart"}', "not_found"),
    ],
)
async def test_bad_frames_get_error_and_socket_stays_open(member, group, make_client, raw, code):
    a = make_client(member, group)
    await a.connect()
    await a.comm.send_to(text_data=raw)
    err = (await a.until("error"))[-1]
    assert err["code"] == code
    assert err["message"]
    await a.send({"type": "ping"})
    assert (await a.until("pong"))[-1] == {"type": "pong"}
    await a.close()


async def test_binary_and_oversized_frames(member, group, make_client, settings):
    a = make_client(member, group)
    await a.connect()
    await a.comm.send_to(bytes_data=b"\x00\x01")
    assert (await a.until("error"))[-1]["code"] == "binary"
    big = json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": "x" * 20000})
    await a.comm.send_to(text_data=big)
    assert (await a.until("error"))[-1]["code"] == "too_big"
    body = "y" * 4001
    ack = await a.message(body)
    assert ack["type"] == "error" and ack["code"] == "too_long" and ack["client_id"]
    await a.close()


async def test_live_removal_closes_with_4403(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    layer = get_channel_layer()
    await layer.group_send(
        user_group(member.pk),
        {"type": "user.event", "event": {"type": "membership.revoked", "group_id": group.pk}},
    )
    # Ephemeral frames (presence, heartbeat) may arrive first; the close must follow.
    for _ in range(10):
        frame = await a.recv()
        if frame["type"] not in ("presence", "heartbeat", "typing"):
            break
    assert frame == {"type": "__closed__", "code": 4403}


async def test_revoked_for_another_group_is_ignored(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    layer = get_channel_layer()
    await layer.group_send(
        user_group(member.pk),
        {"type": "user.event", "event": {"type": "membership.revoked", "group_id": group.pk + 99}},
    )
    await layer.group_send(
        user_group(member.pk), {"type": "user.event", "event": {"type": "notification.created"}}
    )
    await a.send({"type": "ping"})
    assert (await a.until("pong"))[-1]["type"] == "pong"
    await a.close()


async def test_removed_member_cannot_act_even_without_kick_message(
    member, group, make_client, monkeypatch
):
    """A lost kick and a change that renewed no access stamp (raw SQL): this socket is the
    process's first in the room and has sent nothing yet (every frame reads the stamps, a
    `hello` too), so it holds no stamps and its first write checks afresh."""
    from groups.models import Membership

    a = make_client(member, group)
    await a.connect(hello=None)
    await a.until("presence")  # checked and joined (connect returns at the handshake)
    await db(Membership.objects.filter(user=member).update)(status=Membership.Status.REMOVED)
    await asyncio.sleep(0.3)
    ack = await a.message("still here?")
    assert ack["type"] == "error" and ack["code"] == "forbidden"
    assert (await a.recv())["type"] == "__closed__"
    assert await db(Message.objects.count)() == 0


async def test_periodic_recheck_closes_a_socket_whose_removal_nobody_announced(
    member, group, make_client, settings
):
    """The backstop for a change behind the app's back (raw SQL: no kick message, no access
    stamp renewed): the room's periodic re-check closes the socket with 4403, whether or not
    it holds stamps, and without it sending anything."""
    from groups.models import Membership

    settings.VILLAGE = {
        **settings.VILLAGE,
        "CHAT_RECHECK_SECONDS": 0.3,
        "CHAT_HEARTBEAT_SECONDS": 0.2,
    }
    first = make_client(await db(lambda: MembershipFactory(group=group).user)(), group)
    await first.connect()  # the process now knows the room: the next connect reads stamps
    a = make_client(member, group)
    await a.connect()
    await db(Membership.objects.filter(user=member).update)(status=Membership.Status.REMOVED)
    for _ in range(50):  # heartbeats and presence may come first
        frame = await a.recv(5)
        if frame["type"] == "__closed__":
            break
    assert frame == {"type": "__closed__", "code": 4403}
    await first.send({"type": "ping"})
    assert (await first.until("pong"))[-1]["type"] == "pong"  # the others stay


async def test_mute_frame_and_muted_send_refused(member, group, make_client):
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import Membership

    a = make_client(member, group)
    await a.connect()
    until = timezone.now() + timedelta(hours=2)
    await db(Membership.objects.filter(user=member).update)(muted_until=until)
    layer = get_channel_layer()
    await layer.group_send(
        user_group(member.pk),
        {
            "type": "user.event",
            "event": {"type": "membership.muted", "group_id": group.pk, "until": until.isoformat()},
        },
    )
    assert (await a.until("muted"))[-1] == {"type": "muted", "until": until.isoformat()}
    err = await a.message("can I?")
    assert err["code"] == "muted" and "post again after" in err["message"]
    await a.close()


async def test_support_offer_is_forwarded(member, group, make_client):
    a = make_client(member, group)
    await a.connect()
    await get_channel_layer().group_send(
        user_group(member.pk),
        {"type": "user.event", "event": {"type": "support.offer", "group_id": group.pk}},
    )
    assert (await a.until("support.offer"))[-1] == {"type": "support.offer"}
    await a.close()


async def test_read_marker_moves_forward_only(member, other, group, make_client):
    a, b = make_client(member, group), make_client(other, group)
    await a.connect()
    await b.connect()
    for i in range(3):
        await b.message(f"m{i}")
    await a.send({"type": "read", "seq": 3})
    await a.send({"type": "read", "seq": 1})
    await a.send({"type": "ping"})
    await a.until("pong")
    marker = await db(ReadMarker.objects.get)(user=member)
    assert marker.last_read_seq == 3
    await a.close()
    await b.close()


async def test_typing_reaches_others_not_self_and_is_throttled(member, other, group, make_client):
    a, b = make_client(member, group), make_client(other, group)
    await a.connect()
    await b.connect()
    await a.send({"type": "typing"})
    t = (await b.until("typing"))[-1]
    assert t == {"type": "typing", "user": {"id": member.pk, "name": member.display_name}}
    await a.send({"type": "typing"})  # within the throttle: nothing
    await a.send({"type": "ping"})
    frames = await a.until("pong")
    assert all(f["type"] != "typing" for f in frames)
    await b.send({"type": "ping"})
    frames = await b.until("pong")
    assert all(f["type"] != "typing" for f in frames)
    await a.close()
    await b.close()


async def test_presence_lists_members_in_the_room(member, other, group, make_client):
    a = make_client(member, group)
    await a.comm.connect()
    p = (await a.until("presence"))[-1]
    assert [m["id"] for m in p["members"]] == [member.pk]
    b = make_client(other, group)
    await b.comm.connect()
    p = (await a.until("presence"))[-1]
    assert {m["id"] for m in p["members"]} == {member.pk, other.pk}
    await b.close()
    p = (await a.until("presence"))[-1]
    assert [m["id"] for m in p["members"]] == [member.pk]
    await a.close()


async def test_slow_mode_set_by_facilitator_limits_members(member, facilitator, group, make_client):
    f, a = make_client(facilitator, group), make_client(member, group)
    await f.connect()
    await a.connect()
    await f.send({"type": "slow_mode", "seconds": 30})
    ev = (await a.until("room.updated"))[-1]
    assert ev["room"] == {"slow_mode_seconds": 30}
    assert (await a.message("one"))["type"] == "ack"
    err = await a.message("two")
    assert err["code"] == "slow_mode"
    assert (await f.message("facilitators are not slowed"))["type"] == "ack"
    await a.close()
    await f.close()


async def test_rate_limit(member, group, make_client, settings):
    settings.VILLAGE = {
        **settings.VILLAGE,
        "CHAT_RATE_LIMIT_COUNT": 3,
        "CHAT_RATE_LIMIT_SECONDS": 60,
    }
    a = make_client(member, group)
    await a.connect()
    results = [(await a.message(f"m{i}"))["type"] for i in range(4)]
    assert results == ["ack", "ack", "ack", "error"]
    assert a.seen[-1]["code"] == "rate_limited"
    await a.close()


async def test_moderator_can_read_but_not_post(moderator, group, make_client):
    c = make_client(moderator, group)
    await c.connect()
    err = await c.message("hello")
    assert err["code"] == "forbidden"
    await c.close()


async def test_user_unknown_slug_4403(member, make_client):
    g = await db(GroupFactory.build)(slug="nope-nope")
    c = make_client(member, g)
    await c.comm.connect()
    assert (await c.recv())["code"] == 4403


def test_users_factory_is_sane():
    assert UserFactory._meta.model.__name__ == "User"

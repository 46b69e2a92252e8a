"""Private check-ins: one member and their group's facilitators (moderators may read them).

The role x action matrix over HTTP and over the real websocket application, resume and
idempotency as in the room, the notice about moderators, notifications that never carry the
text, and the member's export and deletion. The expected tables are written out by hand.
"""

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

from accounts.services import account_delete
from chat import checkins, services
from chat.models import Message, Room
from chat.selectors import unread_counts
from groups.models import Membership
from notifications.models import Kind, Notification
from tests.chat.clientstate import ClientState, db_snapshot
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import db_async

PRIVATE = "PRIVATE-CHECKIN-TEXT"


def _open(group, member, by):
    return checkins.checkin_start(user=by, group=group, member=member, source="drift")


def _send(user, room, body="hello", **kw):
    return services.message_send(user=user, room=room, body=body, client_id=uuid.uuid4(), **kw)


def _with_2fa(user):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"s": 1})
    return user


ROLES = [
    "anonymous", "the_member", "muted_member", "suspended_member", "removed_member",
    "facilitator", "other_facilitator", "other_member", "moderator", "staff",
]  # fmt: skip
#             anon memb mute susp remv faci ofac omem mod  staf
HTTP = {
    "read":   "N    Y    Y    Y    N    Y    N    N    Y    Y",
    "send":   "N    Y    Y    N    N    Y    N    N    Y    Y",
}  # fmt: skip


def _allowed(table, action, role):
    return table[action].split()[ROLES.index(role)] == "Y"


def _cast(role, group, fac):
    """The check-in's member and the person in `role` (who is that member for member roles)."""
    S = Membership.Status
    member = MembershipFactory(group=group).user
    person = None
    if role == "the_member":
        person = member
    elif role == "muted_member":
        Membership.objects.filter(user=member, group=group).update(
            muted_until=timezone.now() + timedelta(hours=2)
        )
        person = member
    elif role == "suspended_member":
        member.suspended_until = timezone.now() + timedelta(days=1)
        member.save(update_fields=["suspended_until"])
        person = member
    elif role == "removed_member":
        person = member
    elif role == "facilitator":
        person = fac
    elif role == "other_facilitator":
        person = MembershipFactory(group=GroupFactory(), role=Membership.Role.FACILITATOR).user
    elif role == "other_member":
        person = MembershipFactory(group=group).user
    elif role == "moderator":
        person = _with_2fa(UserFactory(is_moderator=True))
    elif role == "staff":
        person = _with_2fa(UserFactory(is_staff=True))
    room = _open(group, member, fac)
    _send(fac, room, "a first hello")
    if role == "removed_member":
        Membership.objects.filter(user=member, group=group).update(status=S.REMOVED)
    return member, person, room


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_http_matrix(client, group, facilitator, role, settings):
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = False
    member, person, room = _cast(role, group, facilitator)
    url = reverse("checkins:conversation", kwargs={"pk": room.pk})
    if person is not None:
        client.force_login(person)
    page = client.get(url)
    if _allowed(HTTP, "read", role):
        assert page.status_code == 200
        assert b"a first hello" in page.content
    else:
        assert page.status_code in (302, 404), page.status_code  # anonymous: to log-in
        assert b"a first hello" not in page.content
    before = Message.objects.filter(room=room).count()
    sent = client.post(url, {"action": "send", "body": "ok", "client_id": str(uuid.uuid4())})
    after = Message.objects.filter(room=room).count()
    if _allowed(HTTP, "send", role):
        assert sent.status_code == 302 and after == before + 1
    else:
        assert after == before
        assert sent.status_code in (302, 400, 403, 404)


@pytest.fixture
def application(settings):
    os.environ.setdefault("VILLAGE_GC_TUNING", "0")
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = True
    from config.asgi import application

    return application


def _cookie(user):
    c = HttpClient()
    c.force_login(user)
    return c.cookies[django_settings.SESSION_COOKIE_NAME].value


async def _frames_until(comm, *types, timeout=3.0):
    frames = []
    while True:
        out = await comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            frames.append({"type": "__closed__", "code": out.get("code")})
            return frames
        f = json.loads(out["text"])
        if f["type"] in ("presence", "heartbeat", "typing"):
            continue
        frames.append(f)
        if f["type"] in types:
            return frames


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
async def test_the_websocket_matrix(application, group, facilitator, role):
    member, person, room = await db_async(_cast)(role, group, facilitator)
    cookie = await db_async(_cookie)(person)
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    comm = WebsocketCommunicator(application, f"/ws/checkins/{room.pk}/", headers=headers)
    assert (await comm.connect())[0]
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_seq": 0}))
    first = await _frames_until(comm, "resume.done", "reset")
    if not _allowed(HTTP, "read", role):
        assert first[-1] == {"type": "__closed__", "code": 4403}, first
        assert "a first hello" not in repr(first)
        return
    assert first[-1]["type"] in ("resume.done", "reset")
    assert "a first hello" in repr(first)
    before = await db_async(Message.objects.filter(room=room).count)()
    cid = str(uuid.uuid4())
    await comm.send_to(text_data=json.dumps({"type": "send", "client_id": cid, "body": "hi"}))
    answer = (await _frames_until(comm, "ack", "error"))[-1]
    after = await db_async(Message.objects.filter(room=room).count)()
    if _allowed(HTTP, "send", role):
        assert answer["type"] == "ack" and after == before + 1
    else:
        assert answer["type"] == "error" and after == before
    # never pin or slow mode here, whoever asks
    await comm.send_to(text_data=json.dumps({"type": "slow_mode", "seconds": 30}))
    answer = (await _frames_until(comm, "error", "pong"))[-1]
    assert answer["type"] == "error"
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_member_removed_while_connected_is_cut_off(group, facilitator, make_client):
    member = await db_async(lambda: MembershipFactory(group=group).user)()
    room = await db_async(_open)(group, member, facilitator)
    c = make_client(member, group, f"/ws/checkins/{room.pk}/")
    await c.connect()
    from groups.services import membership_remove

    def remove():
        membership_remove(
            membership=Membership.objects.get(user=member, group=group), actor=facilitator
        )

    await db_async(remove)()
    frames = []
    while True:
        f = await c.recv(5)
        frames.append(f)
        if f["type"] == "__closed__":
            break
    assert frames[-1]["code"] == 4403


@pytest.mark.django_db(transaction=True)
async def test_resume_and_idempotency_equal_the_rooms(group, facilitator, make_client):
    member = await db_async(lambda: MembershipFactory(group=group).user)()
    room = await db_async(_open)(group, member, facilitator)
    path = f"/ws/checkins/{room.pk}/"
    fac_client, mem_client = make_client(facilitator, group, path), make_client(member, group, path)
    sf, sm = ClientState(), ClientState()
    for f in await fac_client.connect():
        sf.apply(f)
    for f in await mem_client.connect():
        sm.apply(f)
    await mem_client.close()

    def produce():
        sent = []
        for i in range(30):
            author = (facilitator, member)[i % 2]
            m = _send(author, room, f"message {i}", is_facilitator=author == facilitator).message
            sent.append(m)
            if i % 5 == 1:
                services.reaction_toggle(user=facilitator, room=room, message_id=m.pk, emoji="hug")
            if i % 7 == 2:
                services.message_edit(user=author, room=room, message_id=m.pk, body=f"edited {i}")
            if i % 9 == 4:
                services.message_delete(user=author, room=room, message_id=m.pk)
        return Room.objects.get(pk=room.pk).last_seq

    head = await db_async(produce)()
    while sf.seq < head:
        f = await fac_client.recv(5)
        if f["type"] != "heartbeat":
            sf.apply(f)
    back = make_client(member, group, path)
    for f in await back.connect(hello=sm.seq):
        sm.apply(f)
    assert sm.seq == sf.seq == head and sm.resets == 0
    assert sm.snapshot() == sf.snapshot() == await db_async(db_snapshot)(room, member.pk)
    # the same client id twice (an outbox re-send after a reconnect): one message, same ack
    cid = str(uuid.uuid4())
    a1 = await back.message("only once", client_id=cid)
    a2 = await back.message("only once", client_id=cid)
    assert a1["type"] == a2["type"] == "ack" and a1["message_id"] == a2["message_id"]
    n = await db_async(Message.objects.filter(room=room, body="only once").count)()
    assert n == 1


@pytest.mark.django_db
def test_the_member_is_told_moderators_can_read_it(client, group, facilitator, member):
    room = _open(group, member, facilitator)
    client.force_login(member)
    page = client.get(reverse("checkins:conversation", kwargs={"pk": room.pk})).content.decode()
    assert "private conversation between you and the facilitators" in page
    assert "moderators can read it too, only to keep people safe" in page
    assert f'data-ws-path="/ws/checkins/{room.pk}/"' in page


@pytest.mark.django_db
def test_check_in_messages_never_reach_the_group(group, facilitator, member):
    other = MembershipFactory(group=group).user
    group_room = services.room_for_group(group.pk)  # first: the check-in's rows come after
    _send(other, group_room, "hello everyone")
    room = _open(group, member, facilitator)
    _send(member, room, PRIVATE)
    _send(member, room, PRIVATE + " again")
    assert group_room.pk != room.pk
    # Only the group room's one message counts, never the check-in's two.
    assert unread_counts(user=facilitator, group_ids=[group.pk]) == {group.pk: 1}
    assert unread_counts(user=other, group_ids=[group.pk]) == {group.pk: 0}
    group_rooms = Room.objects.group_rooms().filter(group=group)
    assert not Message.objects.filter(room__in=group_rooms, body=PRIVATE).exists()


@pytest.mark.django_db
def test_the_group_page_does_not_show_it_to_others(client, group, facilitator, member):
    other = MembershipFactory(group=group).user
    room = _open(group, member, facilitator)
    _send(member, room, PRIVATE)
    client.force_login(other)
    for url in (
        reverse("chat:room", kwargs={"slug": group.slug}),
        reverse("groups:detail", kwargs={"slug": group.slug}),
        reverse("checkins:index"),
    ):
        assert PRIVATE.encode() not in client.get(url).content


@pytest.mark.django_db
def test_another_member_cannot_report_or_see_a_check_in_message(client, group, facilitator, member):
    other = MembershipFactory(group=group).user
    room = _open(group, member, facilitator)
    m = _send(member, room, PRIVATE).message
    client.force_login(other)
    page = client.get(reverse("moderation:report_message", kwargs={"message_id": m.pk}))
    assert page.status_code == 404 and PRIVATE.encode() not in page.content
    # the member may report what a facilitator wrote to them
    f = _send(facilitator, room, "from the facilitator").message
    client.force_login(member)
    ok = client.get(reverse("moderation:report_message", kwargs={"message_id": f.pk}))
    assert ok.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_notifications_reach_the_other_side_once_and_never_carry_the_text(
    group, facilitator, member
):
    co = MembershipFactory(group=group, role=Membership.Role.FACILITATOR).user
    room = _open(group, member, facilitator)
    _send(facilitator, room, PRIVATE)
    _send(facilitator, room, PRIVATE + " again")
    to_member = Notification.objects.filter(user=member, kind=Kind.CHECKIN)
    assert to_member.count() == 1  # one unread "you have a message", not one per message
    note = to_member.get()
    assert note.url == reverse("checkins:conversation", kwargs={"pk": room.pk})
    assert PRIVATE not in note.title + note.body
    assert not Notification.objects.filter(user__in=[facilitator, co], kind=Kind.CHECKIN)

    _send(member, room, PRIVATE + " reply")
    assert set(
        Notification.objects.filter(kind=Kind.CHECKIN)
        .exclude(user=member)
        .values_list("user_id", flat=True)
    ) == {facilitator.pk, co.pk}
    # opening the conversation reads its bell items; the next message is a new one
    checkins.checkin_seen(user=member, room=room)
    _send(facilitator, room, "one more")
    assert Notification.objects.filter(user=member, kind=Kind.CHECKIN).count() == 2


@pytest.mark.django_db
def test_starting_asks_first_then_opens_one_conversation(client, group, facilitator, member):
    client.force_login(facilitator)
    start = reverse("checkins:start")
    ask = client.get(start, {"group": group.slug, "member": member.pk, "source": "drift"})
    assert ask.status_code == 200 and not Room.objects.checkins().exists()
    assert member.public_name.encode() in ask.content
    made = client.post(start, {"group": group.slug, "member": member.pk, "source": "drift"})
    room = Room.objects.checkins().get()
    assert room.member == member and room.started_by == facilitator
    assert made.url.startswith(reverse("checkins:conversation", kwargs={"pk": room.pk}))
    again = client.get(start, {"group": group.slug, "member": member.pk})
    assert again.status_code == 302 and Room.objects.checkins().count() == 1


@pytest.mark.django_db
def test_never_member_to_member(client, group, member):
    other = MembershipFactory(group=group).user
    client.force_login(member)
    start = reverse("checkins:start")
    r = client.post(start, {"group": group.slug, "member": other.pk})
    assert r.status_code == 404 and not Room.objects.checkins().exists()
    # but a member may write to the facilitators themself
    mine = client.post(start, {"group": group.slug})
    room = Room.objects.checkins().get()
    assert room.member == member and mine.status_code == 302


@pytest.mark.django_db
def test_a_facilitator_reaches_only_members_of_their_own_group(client, group, facilitator):
    elsewhere = MembershipFactory(group=GroupFactory()).user
    client.force_login(facilitator)
    r = client.post(reverse("checkins:start"), {"group": group.slug, "member": elsewhere.pk})
    assert r.status_code == 404 and not Room.objects.checkins().exists()


@pytest.mark.django_db
def test_export_has_the_conversation_and_deletion_removes_it(group, facilitator, member):
    from accounts.selectors import account_export

    room = _open(group, member, facilitator)
    _send(facilitator, room, "from the facilitator")
    _send(member, room, "from the member")
    exported = json.dumps(account_export(user=member), default=str)
    assert "from the facilitator" in exported and "from the member" in exported
    assert "private check-in" in exported
    member.set_password("pw-for-delete-123")
    member.save()
    account_delete(user=member, password="pw-for-delete-123")
    assert not Room.objects.filter(pk=room.pk).exists()
    assert not Message.objects.filter(body__in=["from the facilitator", "from the member"])


@pytest.mark.django_db
def test_the_ways_in(client, group, facilitator, member):
    """The group page (member: message the facilitators; facilitator: the list), the people
    page and the drift view (facilitator: per member), all lead to the start page."""
    start = reverse("checkins:start")
    client.force_login(member)
    detail = client.get(reverse("groups:detail", kwargs={"slug": group.slug})).content.decode()
    assert f"{start}?group={group.slug}&amp;source=group" in detail
    people = client.get(reverse("groups:people", kwargs={"slug": group.slug})).content.decode()
    assert start not in people  # never member to member
    client.force_login(facilitator)
    people = client.get(reverse("groups:people", kwargs={"slug": group.slug})).content.decode()
    assert f"{start}?group={group.slug}&amp;member={member.pk}&amp;source=people" in people
    detail = client.get(reverse("groups:detail", kwargs={"slug": group.slug})).content.decode()
    assert reverse("checkins:index") in detail


@pytest.mark.django_db
def test_the_nudge_answer_leads_the_facilitators_into_a_check_in(group, facilitator, member):
    from meetups.models import NudgeReply
    from meetups.services import nudge_reply
    from tests.meetups.conftest import past_meetup

    occ = past_meetup(group, facilitator, start_utc=timezone.now() - timedelta(days=1))
    nudge_reply(occurrence=occ, user=member, choice=NudgeReply.Choice.CONTACT)
    note = Notification.objects.get(user=facilitator, kind=Kind.FACILITATOR)
    start = reverse("checkins:start")
    assert note.url == f"{start}?group={group.slug}&member={member.pk}&source=nudge"

"""When an open socket may reuse its last permission check (chat.protocol._fresh): as it is for
PERMISSION_CACHE_SECONDS, then while the access stamps read the same, and never past
STAMPED_REUSE_SECONDS. A change that commits through the app is seen on the next frame even when
the kick message is lost."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async as db
from django.core.exceptions import PermissionDenied

from chat import protocol
from chat.models import Message
from groups.models import Membership
from groups.permissions import access_stamps
from tests.factories import MembershipFactory, login_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other(group):
    return MembershipFactory(group=group).user


def _session(member, group) -> protocol.Session:
    s = protocol.connect(member, group.slug, login_session(member))
    assert isinstance(s, protocol.Session)
    protocol._fresh(s)  # a full check, with its stamps
    return s


def _age(session: protocol.Session, seconds: float) -> None:
    session.checked_at = time.monotonic() - seconds


def test_unchanged_stamps_reuse_the_check_without_a_query(member, group, django_assert_num_queries):
    s = _session(member, group)
    _age(s, protocol.PERMISSION_CACHE_SECONDS + 5)
    with django_assert_num_queries(0):
        user, access, _room = protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)
    assert user.pk == member.pk and access.membership.user_id == member.pk


def test_a_committed_change_is_seen_at_once_after_the_first_seconds(member, group):
    s = _session(member, group)
    m = Membership.objects.get(user=member, group=group)
    m.status = Membership.Status.REMOVED
    m.save()  # no kick message is sent here: only the stamp tells
    _age(s, protocol.PERMISSION_CACHE_SECONDS + 1)
    with pytest.raises(PermissionDenied):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)


def test_within_the_first_seconds_the_check_is_reused_as_it_is(
    member, group, django_assert_num_queries
):
    s = _session(member, group)
    with django_assert_num_queries(0):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)


def test_never_reused_past_the_stamped_limit(member, group, django_assert_num_queries):
    s = _session(member, group)
    _age(s, protocol.STAMPED_REUSE_SECONDS + 1)
    # The member's row with the user and the group, and the log-in's session row.
    with django_assert_num_queries(2):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)
    # A change that renewed no stamp (raw SQL) is caught there.
    Membership.objects.filter(user=member, group=group).update(status=Membership.Status.REMOVED)
    _age(s, protocol.STAMPED_REUSE_SECONDS + 1)
    with pytest.raises(PermissionDenied):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)


def test_unreadable_stamps_mean_a_fresh_check(member, group, monkeypatch):
    s = _session(member, group)
    monkeypatch.setattr(protocol, "access_stamps", lambda user_id, group_id: None)
    Membership.objects.filter(user=member, group=group).update(status=Membership.Status.REMOVED)
    _age(s, protocol.PERMISSION_CACHE_SECONDS + 1)
    with pytest.raises(PermissionDenied):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)


def test_a_kick_message_still_clears_the_check_at_once(member, group):
    s = _session(member, group)
    Membership.objects.filter(user=member, group=group).update(status=Membership.Status.REMOVED)
    s.forget_access()  # what the consumer does on any user event
    with pytest.raises(PermissionDenied):
        protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)


async def test_removed_member_with_a_lost_kick_is_refused_through_the_socket(
    member, group, make_client, monkeypatch
):
    """End to end: the socket has checked (and read the stamps); the member is removed through
    the model (signals renew the stamp) but no kick message arrives; the next send is refused
    and the socket closed, long before STAMPED_REUSE_SECONDS."""
    monkeypatch.setattr(protocol, "PERMISSION_CACHE_SECONDS", 0.2)
    a = make_client(member, group)
    await a.connect()
    await asyncio.sleep(0.3)
    assert (await a.message("first"))["type"] == "ack"  # a full check, stamps read

    def remove():
        m = Membership.objects.get(user=member, group=group)
        m.status = Membership.Status.REMOVED
        m.save()

    await db(remove)()
    await asyncio.sleep(0.3)
    err = await a.message("still here?")
    assert err["type"] == "error" and err["code"] == "forbidden"
    assert (await a.recv())["type"] == "__closed__"
    assert await db(Message.objects.count)() == 1


def test_a_write_reads_the_stamps_even_within_the_first_seconds(member, group):
    s = _session(member, group)
    m = Membership.objects.get(user=member, group=group)
    m.status = Membership.Status.REMOVED
    m.save()
    # A read-only frame may still use the check as it is for a few seconds ...
    protocol._fresh(s, protocol.PERMISSION_CACHE_SECONDS)
    # ... a write may not.
    with pytest.raises(PermissionDenied):
        protocol._fresh(s, 0.0)


def test_a_connect_reads_the_stamps_once_it_knows_the_slug(member, other, group):
    first = protocol.connect(member, group.slug)
    assert first.stamps is None  # this process had not seen the slug: the first write checks
    second = protocol.connect(other, group.slug)
    assert second.stamps == access_stamps(other.pk, group.pk)


def test_a_connect_drops_stamps_read_for_a_slug_that_now_names_another_group(member, group):
    protocol._group_ids[group.slug] = group.pk + 1000
    s = protocol.connect(member, group.slug)
    assert s.stamps is None and s.group_id == group.pk
    assert protocol._group_ids[group.slug] == group.pk


def test_slow_mode_renews_the_group_stamp(facilitator, group):
    from chat.services import room_for_group, room_set_slow_mode

    before = access_stamps(facilitator.pk, group.pk)
    room_set_slow_mode(user=facilitator, room=room_for_group(group.pk), seconds=30)
    after = access_stamps(facilitator.pk, group.pk)
    assert after[1] != before[1] and after[0] == before[0]


def test_an_unused_check_is_let_go_but_a_used_one_kept(member, group):
    s = _session(member, group)
    now = time.monotonic()
    s.used_at = now - protocol.RELEASE_UNUSED_SECONDS + 5
    s.release_if_stale(now)
    assert s.user is not None
    s.used_at = now - protocol.RELEASE_UNUSED_SECONDS - 1
    s.release_if_stale(now)
    assert s.user is None and s.access is None and s.stamps is None

"""Access stamps: every committed change a permission decision depends on renews a stamp, so a
kept decision (an open websocket's) is reused only while nothing it depended on has changed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from groups.models import Membership
from groups.permissions import access_changed, access_stamps
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_membership_change_renews_the_users_stamp_after_commit(member, group):
    before = access_stamps(member.pk, group.pk)
    m = Membership.objects.get(user=member, group=group)
    with transaction.atomic():
        m.muted_until = timezone.now() + timedelta(hours=1)
        m.save()
        assert access_stamps(member.pk, group.pk) == before  # not before it commits
    after = access_stamps(member.pk, group.pk)
    assert after[0] != before[0] and after[0] is not None
    assert after[1] == before[1]  # the group's stamp is the group's


def test_a_rolled_back_change_renews_nothing(member, group):
    before = access_stamps(member.pk, group.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.filter(user=member, group=group).get().delete()
        raise RuntimeError
    assert access_stamps(member.pk, group.pk) == before


def test_user_and_group_changes_renew_their_stamps(member, group):
    before = access_stamps(member.pk, group.pk)
    member.is_active = False
    member.save()
    mid = access_stamps(member.pk, group.pk)
    assert mid[0] != before[0] and mid[1] == before[1]
    group.visibility = "unlisted"
    group.save()
    after = access_stamps(member.pk, group.pk)
    assert after[0] == mid[0] and after[1] != mid[1]


def test_a_change_to_another_user_or_group_leaves_these_alone(member, group):
    before = access_stamps(member.pk, group.pk)
    MembershipFactory(group=group, user=UserFactory())
    MembershipFactory(group=GroupFactory(), user=UserFactory())
    GroupFactory()
    assert access_stamps(member.pk, group.pk) == before


def test_explicit_renewal_for_bulk_updates(member, group):
    before = access_stamps(member.pk, group.pk)
    access_changed(user_id=member.pk)
    assert access_stamps(member.pk, group.pk)[0] != before[0]
    access_changed(group_id=group.pk)
    assert access_stamps(member.pk, group.pk)[1] != before[1]


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("mute", {"duration": timedelta(days=1)}),
        ("remove", {}),
        ("ban", {}),
        ("suspend", {"duration": timedelta(days=1)}),
    ],
)
def test_moderation_actions_renew_the_stamp(moderator, group, kind, extra):
    """Moderation changes memberships and accounts with bulk updates (no model signals)."""
    from chat.services import message_send, room_for_group
    from moderation import services

    author = MembershipFactory(group=group).user
    reporter = MembershipFactory(group=group).user
    msg = message_send(
        user=author, room=room_for_group(group.pk), body="hello", client_id=uuid.uuid4()
    ).message
    case = services.report_message(user=reporter, message_id=msg.pk, reason="unkind").case
    before = access_stamps(author.pk, group.pk)
    services.case_act(actor=moderator, case_id=case.pk, kind=kind, reason="Be kind", **extra)
    after = access_stamps(author.pk, group.pk)
    assert after[0] not in (before[0], None)


def test_unreadable_stamps_read_as_none(member, group, monkeypatch):
    class Broken:
        def get_many(self, keys):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("groups.permissions.shared_cache", lambda: Broken())
    assert access_stamps(member.pk, group.pk) is None

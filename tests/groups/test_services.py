"""Membership services: joining, requests, decisions, leaving, removal and invites."""

import asyncio
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone

from groups import services
from groups.models import Group, Invite, Membership
from notifications.models import Kind, Notification
from realtime.names import user_group
from tests.factories import GroupFactory, MembershipFactory, UserFactory

S = Membership.Status


def _code(callable_, **kwargs) -> str:
    with pytest.raises(services.GroupError) as error:
        callable_(**kwargs)
    assert error.value.message  # always something kind to show
    return error.value.code


class UserEvents:
    """Listen on a user's channel group, as their open sockets do."""

    def __init__(self, user_id: int):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(user_group(user_id), self.channel)

    def next(self) -> dict:
        async def get():
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout=2)

        return async_to_sync(get)()


# --- slugs ---------------------------------------------------------------------------------


def test_slugs_are_made_from_names_and_kept_unique(db):
    first = services.group_create(name="Tea & Talk, Dudley")
    second = services.group_create(name="Tea & Talk, Dudley")
    third = services.group_create(name="Tea  & Talk   Dudley")
    assert [first.slug, second.slug, third.slug] == [
        "tea-talk-dudley",
        "tea-talk-dudley-2",
        "tea-talk-dudley-3",
    ]


def test_slug_never_clashes_with_app_urls_and_never_empty(db):
    assert services.group_create(name="New").slug == "new-group"
    assert services.group_create(name="Invite").slug == "invite-group"
    assert services.group_create(name="💬💬").slug == "group"
    assert _code(services.group_create, name="   ") == "no_name"


def test_database_refuses_duplicate_slugs(db):
    GroupFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(name="Other", slug="same")


def test_group_create_makes_the_facilitator_and_caps_questions(db):
    jo = UserFactory()
    group = services.group_create(
        name="Dads' walk", facilitator=jo, join_questions=["One?", " ", "Two?"]
    )
    assert group.join_questions == ["One?", "Two?"]
    assert Membership.objects.get(group=group, user=jo).is_facilitator
    assert (
        _code(services.group_create, name="Too many", join_questions=["a", "b", "c", "d"])
        == "too_many_questions"
    )


# --- joining an open group -------------------------------------------------------------------


def test_join_open_group(group, user):
    membership = services.membership_join(user=user, group=group)
    assert membership.status == S.ACTIVE and membership.joined_at is not None


def test_join_twice_is_a_kind_error_and_no_duplicate_row(group, user):
    services.membership_join(user=user, group=group)
    assert _code(services.membership_join, user=user, group=group) == "already_member"
    assert Membership.objects.filter(user=user, group=group).count() == 1


def test_database_refuses_a_second_membership_row(group, member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=member, group=group)


def test_full_group_says_so(db):
    group = GroupFactory(member_limit=2)
    MembershipFactory.create_batch(2, group=group)
    MembershipFactory(group=group, status=S.PENDING)  # requests don't take a place
    newcomer = UserFactory()
    assert _code(services.membership_join, user=newcomer, group=group) == "full"
    assert not Membership.objects.filter(user=newcomer).exists()


def test_banned_person_cannot_join_again(group, user):
    MembershipFactory(group=group, user=user, status=S.BANNED)
    assert _code(services.membership_join, user=user, group=group) == "banned"
    assert Membership.objects.get(user=user, group=group).status == S.BANNED


def test_cannot_join_request_or_invite_groups_directly(db, user):
    for policy in ("request", "invite"):
        group = GroupFactory(join_policy=policy)
        assert _code(services.membership_join, user=user, group=group) == "not_open"


def test_someone_who_left_can_join_again_reusing_their_row(group, user):
    services.membership_join(user=user, group=group)
    services.membership_leave(user=user, group=group)
    again = services.membership_join(user=user, group=group)
    assert again.status == S.ACTIVE
    assert Membership.objects.filter(user=user, group=group).count() == 1


# --- requests --------------------------------------------------------------------------------


@pytest.fixture
def request_group(db):
    group = GroupFactory(join_policy="request", join_questions=["Child's age?", "Hopes?"])
    jo = MembershipFactory(group=group, role="facilitator").user
    return group, jo


def test_request_records_answers_and_tells_only_facilitators(request_group, user):
    group, jo = request_group
    bystander = MembershipFactory(group=group).user
    membership = services.membership_request(user=user, group=group, answers=["2", "Company"])
    assert membership.status == S.PENDING
    assert membership.request_answers == [
        {"question": "Child's age?", "answer": "2"},
        {"question": "Hopes?", "answer": "Company"},
    ]
    notes = Notification.objects.filter(kind=Kind.FACILITATOR)
    assert [n.user_id for n in notes] == [jo.pk]
    assert user.email not in notes[0].title + notes[0].body
    assert not Notification.objects.filter(user=bystander).exists()


def test_request_needs_every_answer(request_group, user):
    group, _ = request_group
    code = _code(services.membership_request, user=user, group=group, answers=["2", "  "])
    assert code == "answers_missing"
    assert not Membership.objects.filter(user=user).exists()


def test_request_twice_is_a_kind_error(request_group, user):
    group, _ = request_group
    services.membership_request(user=user, group=group, answers=["2", "x"])
    again = _code(services.membership_request, user=user, group=group, answers=["2", "x"])
    assert again == "already_pending"
    assert Membership.objects.filter(user=user, group=group).count() == 1


def test_approve_lets_them_in_and_tells_them(request_group, user):
    group, jo = request_group
    pending = services.membership_request(user=user, group=group, answers=["2", "x"])
    approved = services.membership_approve(membership=pending, actor=jo, message="Welcome!")
    assert approved.status == S.ACTIVE and approved.decided_by == jo
    note = Notification.objects.get(user=user, kind=Kind.MEMBERSHIP)
    assert note.body == "Welcome!" and group.slug in note.url


def test_decline_keeps_them_out_and_tells_them_kindly(request_group, user):
    group, jo = request_group
    pending = services.membership_request(user=user, group=group, answers=["2", "x"])
    declined = services.membership_decline(membership=pending, actor=jo, message="")
    assert declined.status == S.DECLINED
    note = Notification.objects.get(user=user, kind=Kind.MEMBERSHIP)
    assert note.body  # a default kind message when the facilitator wrote none


def test_already_handled_request_is_a_kind_error(request_group, user):
    group, jo = request_group
    pending = services.membership_request(user=user, group=group, answers=["2", "x"])
    services.membership_approve(membership=pending, actor=jo)
    assert _code(services.membership_approve, membership=pending, actor=jo) == "already_handled"
    assert _code(services.membership_decline, membership=pending, actor=jo) == "already_handled"
    assert Notification.objects.filter(user=user, kind=Kind.MEMBERSHIP).count() == 1


def test_approve_respects_the_member_limit(request_group, user):
    group, jo = request_group
    pending = services.membership_request(user=user, group=group, answers=["2", "x"])
    group.member_limit = 1  # the facilitator already fills it
    group.save()
    assert _code(services.membership_approve, membership=pending, actor=jo) == "full"
    pending.refresh_from_db()
    assert pending.status == S.PENDING


def test_declined_person_may_ask_again(request_group, user):
    group, jo = request_group
    pending = services.membership_request(user=user, group=group, answers=["2", "x"])
    services.membership_decline(membership=pending, actor=jo)
    again = services.membership_request(user=user, group=group, answers=["3", "y"])
    assert again.pk == pending.pk and again.status == S.PENDING


# --- leaving and removal cut chat off at once -------------------------------------------------


def test_leave_cuts_off_open_sockets_after_commit(
    group, member, django_capture_on_commit_callbacks
):
    events = UserEvents(member.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.membership_leave(user=member, group=group)
        assert Membership.objects.get(user=member, group=group).status == S.LEFT
    assert callbacks, "the revocation must wait for commit"
    message = events.next()
    assert message["type"] == "user.event"
    assert message["event"] == {"type": "membership.revoked", "group_id": group.pk}


def test_leave_when_not_a_member_is_a_kind_error(group, user):
    assert _code(services.membership_leave, user=user, group=group) == "not_member"
    assert not Membership.objects.filter(user=user).exists()


def test_remove_and_ban_cut_off_sockets(group, facilitator, django_capture_on_commit_callbacks):
    removed, banned = MembershipFactory(group=group), MembershipFactory(group=group)
    removed_events, banned_events = UserEvents(removed.user_id), UserEvents(banned.user_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(membership=removed, actor=facilitator)
        services.membership_remove(membership=banned, actor=facilitator, ban=True)
    assert removed_events.next()["event"]["type"] == "membership.revoked"
    assert banned_events.next()["event"] == {"type": "membership.revoked", "group_id": group.pk}
    removed.refresh_from_db()
    banned.refresh_from_db()
    assert (removed.status, banned.status) == (S.REMOVED, S.BANNED)
    # Removed people may come back to an open group; banned people may not.
    services.membership_join(user=removed.user, group=group)
    assert _code(services.membership_join, user=banned.user, group=group) == "banned"


def test_remove_twice_or_yourself_is_a_kind_error(group, facilitator):
    target = MembershipFactory(group=group)
    services.membership_remove(membership=target, actor=facilitator)
    assert _code(services.membership_remove, membership=target, actor=facilitator) == "not_member"
    own = Membership.objects.get(user=facilitator, group=group)
    assert _code(services.membership_remove, membership=own, actor=facilitator) == "self"


def test_make_facilitator(group, facilitator):
    target = MembershipFactory(group=group)
    services.membership_make_facilitator(membership=target, actor=facilitator)
    target.refresh_from_db()
    assert target.is_facilitator
    assert Notification.objects.filter(user=target.user, kind=Kind.MEMBERSHIP).exists()
    again = _code(services.membership_make_facilitator, membership=target, actor=facilitator)
    assert again == "already_facilitator"


# --- invites -----------------------------------------------------------------------------------


@pytest.fixture
def hidden_group(db):
    group = GroupFactory(visibility="unlisted", join_policy="invite")
    jo = MembershipFactory(group=group, role="facilitator").user
    return group, jo


def test_invite_defaults_to_fourteen_days(hidden_group):
    group, jo = hidden_group
    invite = services.invite_create(group=group, created_by=jo)
    assert invite.expires_at - invite.created_at == timedelta(days=14)


def test_invite_joins_an_unlisted_invite_only_group(hidden_group, user):
    group, jo = hidden_group
    invite = services.invite_create(group=group, created_by=jo)
    membership = services.invite_accept(token=invite.token, user=user)
    assert membership.status == S.ACTIVE and membership.group == group
    invite.refresh_from_db()
    assert invite.uses == 1


def test_expired_invite_says_so(hidden_group, user):
    group, jo = hidden_group
    invite = services.invite_create(group=group, created_by=jo, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert _code(services.invite_accept, token=invite.token, user=user) == "expired"
    assert not Membership.objects.filter(user=user).exists()


def test_revoked_invite_says_so(hidden_group, user):
    group, jo = hidden_group
    invite = services.invite_create(group=group, created_by=jo)
    services.invite_revoke(invite=invite, actor=jo)
    assert _code(services.invite_accept, token=invite.token, user=user) == "revoked"
    assert _code(services.invite_revoke, invite=invite, actor=jo) == "already_revoked"
    assert _code(services.invite_accept, token="nonsense", user=user) == "invalid"


def test_invite_respects_member_limit_and_bans(hidden_group, user):
    group, jo = hidden_group
    invite = services.invite_create(group=group, created_by=jo)
    MembershipFactory(group=group, user=user, status=S.BANNED)
    assert _code(services.invite_accept, token=invite.token, user=user) == "banned"
    group.member_limit = 1
    group.save()
    assert _code(services.invite_accept, token=invite.token, user=UserFactory()) == "full"
    assert Invite.objects.get(pk=invite.pk).uses == 0


def test_invite_turns_a_pending_request_into_membership(db, user):
    group = GroupFactory(join_policy="request")
    jo = MembershipFactory(group=group, role="facilitator").user
    services.membership_request(user=user, group=group, answers=[])
    invite = services.invite_create(group=group, created_by=jo)
    assert services.invite_accept(token=invite.token, user=user).status == S.ACTIVE
    assert Membership.objects.filter(user=user, group=group).count() == 1


def test_database_refuses_an_invite_that_expires_before_it_starts(hidden_group):
    group, _ = hidden_group
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invite.objects.create(group=group, created_at=now, expires_at=now - timedelta(days=1))


def test_group_create_picks_another_slug_if_one_is_taken_under_its_feet(db, monkeypatch):
    GroupFactory(slug="circle")
    calls = []

    def stale_unique_slug(name, **kwargs):
        calls.append(name)
        # First answer is stale (as if another request inserted "circle" a moment ago).
        return "circle" if len(calls) == 1 else "circle-2"

    monkeypatch.setattr(services, "unique_slug", stale_unique_slug)
    assert services.group_create(name="Circle").slug == "circle-2"
    assert len(calls) == 2


# --- the last facilitator ------------------------------------------------------------------


def test_last_facilitator_cannot_leave_until_someone_else_facilitates(group, facilitator):
    assert _code(services.membership_leave, user=facilitator, group=group) == "last_facilitator"
    assert Membership.objects.get(user=facilitator, group=group).is_facilitator
    helper = MembershipFactory(group=group)
    services.membership_make_facilitator(membership=helper, actor=facilitator)
    services.membership_leave(user=facilitator, group=group)
    assert Membership.objects.get(user=facilitator, group=group).status == S.LEFT
    # Now the helper is the only one left, and is refused in turn.
    assert _code(services.membership_leave, user=helper.user, group=group) == "last_facilitator"


def test_ordinary_members_and_requesters_leave_freely(group, facilitator):
    member = MembershipFactory(group=group).user
    pending = MembershipFactory(group=group, status=S.PENDING, joined_at=None).user
    services.membership_leave(user=member, group=group)
    services.membership_leave(user=pending, group=group)
    left = Membership.objects.filter(group=group, status=S.LEFT).values_list("user", flat=True)
    assert set(left) == {member.pk, pending.pk}


def test_last_facilitator_removal_refused_except_for_moderators(group, facilitator, moderator):
    only = Membership.objects.get(user=facilitator, group=group)
    # Someone with no site role (e.g. through an admin action) is refused.
    bystander = UserFactory()
    code = _code(services.membership_remove, membership=only, actor=bystander)
    assert code == "last_facilitator"
    only.refresh_from_db()
    assert only.is_facilitator
    # A site moderator may still take a harmful facilitator out: safeguarding comes first.
    services.membership_remove(membership=only, actor=moderator)
    only.refresh_from_db()
    assert only.status == S.REMOVED


def test_one_of_two_facilitators_can_be_removed_by_the_other(group, facilitator):
    other = MembershipFactory(group=group, role="facilitator")
    services.membership_remove(membership=other, actor=facilitator)
    other.refresh_from_db()
    assert other.status == S.REMOVED


def test_moderator_removing_the_last_facilitator_tells_staff(group, facilitator, moderator):
    staff = UserFactory(is_staff=True)
    only = Membership.objects.get(user=facilitator, group=group)
    services.membership_remove(membership=only, actor=moderator)
    told = Notification.objects.filter(title__contains="has no facilitator now")
    assert set(told.values_list("user_id", flat=True)) == {moderator.pk, staff.pk}
    assert facilitator.pk not in told.values_list("user_id", flat=True)


def test_deleting_the_last_facilitators_account_is_allowed_and_staff_are_told(group, facilitator):
    from accounts.services import account_delete

    staff = UserFactory(is_staff=True)
    account_delete(user=facilitator, password="village-test")
    assert not Membership.objects.facilitators().filter(group=group).exists()
    told = Notification.objects.filter(title__contains="has no facilitator now")
    assert list(told.values_list("user_id", flat=True)) == [staff.pk]


def test_no_staff_note_while_another_facilitator_remains(group, facilitator, moderator):
    MembershipFactory(group=group, role="facilitator")
    only = Membership.objects.get(user=facilitator, group=group)
    services.membership_remove(membership=only, actor=moderator)
    assert not Notification.objects.filter(title__contains="has no facilitator now").exists()


def test_step_down_keeps_membership_and_is_refused_for_the_last_facilitator(group, facilitator):
    assert _code(services.membership_step_down, user=facilitator, group=group) == (
        "last_facilitator"
    )
    helper = MembershipFactory(group=group, role="facilitator")
    services.membership_step_down(user=facilitator, group=group)
    mine = Membership.objects.get(user=facilitator, group=group)
    assert mine.status == S.ACTIVE and mine.role == "member"
    assert _code(services.membership_step_down, user=facilitator, group=group) == (
        "not_facilitator"
    )
    assert _code(services.membership_step_down, user=helper.user, group=group) == (
        "last_facilitator"
    )

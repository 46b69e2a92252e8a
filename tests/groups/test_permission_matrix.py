"""The role x action matrix for every action in groups.permissions.Action.

The expected tables are written out here by hand, on purpose: they must not be read from the
policy they check. If you add an Action, add its row here (the completeness test says so).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from groups.models import Group, Membership
from groups.permissions import (
    Action,
    access_group,
    access_group_by_user_id,
    can,
    can_site,
    membership_for,
)
from tests.factories import GroupFactory, MembershipFactory, UserFactory

ROLES = [
    "anonymous",
    "outsider",
    "pending",
    "member",
    "muted",
    "facilitator",
    "other_facilitator",
    "moderator",
    "staff",
    "banned",
]

# Listed group that anyone may join.
#                              anon out  pend memb mute faci ofac mod  staf bann
OPEN_LISTED = {
    Action.VIEW_GROUP:        "Y    Y    Y    Y    Y    Y    Y    Y    Y    Y",
    Action.JOIN_GROUP:        "N    Y    N    N    N    N    Y    Y    Y    N",
    Action.REQUEST_TO_JOIN:   "N    N    N    N    N    N    N    N    N    N",
    Action.LEAVE_GROUP:       "N    N    Y    Y    Y    Y    N    N    N    N",
    Action.VIEW_MEMBERS:      "N    N    N    Y    Y    Y    N    Y    Y    N",
    Action.MANAGE_MEMBERS:    "N    N    N    N    N    Y    N    N    Y    N",
    Action.MAKE_FACILITATOR:  "N    N    N    N    N    Y    N    Y    Y    N",
    Action.MANAGE_INVITES:    "N    N    N    N    N    Y    N    N    Y    N",
    Action.EDIT_GROUP:        "N    N    N    N    N    Y    N    N    Y    N",
    Action.READ_CHAT:         "N    N    N    Y    Y    Y    N    Y    Y    N",
    Action.POST_MESSAGE:      "N    N    N    Y    N    Y    N    N    N    N",
    Action.REACT:             "N    N    N    Y    N    Y    N    N    N    N",
    Action.PIN_MESSAGE:       "N    N    N    N    N    Y    N    N    N    N",
    Action.SET_SLOW_MODE:     "N    N    N    N    N    Y    N    N    N    N",
    Action.VIEW_MEETUPS:      "N    N    N    Y    Y    Y    N    Y    Y    N",
    Action.RSVP:              "N    N    N    Y    Y    Y    N    N    N    N",
    Action.CHECK_IN:          "N    N    N    Y    Y    Y    N    N    N    N",
    Action.SCHEDULE_MEETUP:   "N    N    N    N    N    Y    N    N    Y    N",
    Action.TAKE_REGISTER:     "N    N    N    N    N    Y    N    N    Y    N",
    Action.VIEW_ATTENDANCE:   "N    N    N    N    N    Y    N    N    Y    N",
    Action.REPORT_CONTENT:    "N    N    N    Y    Y    Y    N    N    N    N",
    Action.VIEW_GROUP_QUEUE:  "N    N    N    N    N    Y    N    Y    Y    N",
    Action.HIDE_MESSAGE:      "N    N    N    N    N    Y    N    Y    Y    N",
    Action.DELETE_MESSAGE:    "N    N    N    N    N    N    N    Y    Y    N",
    Action.WARN_MEMBER:       "N    N    N    N    N    Y    N    Y    Y    N",
    Action.MUTE_MEMBER:       "N    N    N    N    N    Y    N    Y    Y    N",
    Action.REMOVE_MEMBER:     "N    N    N    N    N    Y    N    Y    Y    N",
    Action.START_CHECKIN:     "N    N    N    N    N    Y    N    Y    Y    N",
    Action.ASK_FACILITATORS:  "N    N    N    Y    Y    Y    N    N    N    N",
    Action.ADD_CASE_NOTE:     "N    N    N    N    N    Y    N    Y    Y    N",
    Action.PASS_TO_SAFEGUARDING_LEAD: "N    N    N    N    N    Y    N    Y    Y    N",
    Action.ADD_LOCAL_ENTRY:   "N    N    N    N    N    Y    N    N    Y    N",
    Action.OFFER_REFERRAL:    "N    N    N    N    N    Y    N    N    N    N",
    Action.SET_OWN_HOURS:     "N    N    N    N    N    Y    N    N    N    N",
    Action.MARK_AWAY:         "N    N    N    N    N    Y    N    N    N    N",
}  # fmt: skip

# Listed group that takes requests: only joining differs from OPEN_LISTED.
#                              anon out  pend memb mute faci ofac mod  staf bann
REQUEST_LISTED_DIFF = {
    Action.JOIN_GROUP:        "N    N    N    N    N    N    N    N    N    N",
    Action.REQUEST_TO_JOIN:   "N    Y    N    N    N    N    Y    Y    Y    N",
}  # fmt: skip

# Unlisted, invite-only group: people who may not see it can do nothing at all (not even
# view); nobody joins or asks directly (invite links go through a service, not an action).
#                              anon out  pend memb mute faci ofac mod  staf bann
UNLISTED_INVITE_DIFF = {
    Action.VIEW_GROUP:        "N    N    Y    Y    Y    Y    N    Y    Y    N",
    Action.JOIN_GROUP:        "N    N    N    N    N    N    N    N    N    N",
    Action.REQUEST_TO_JOIN:   "N    N    N    N    N    N    N    N    N    N",
}  # fmt: skip
CANNOT_SEE_UNLISTED = {"anonymous", "outsider", "other_facilitator", "banned"}

SITE_ROLES = ["anonymous", "member", "moderator", "staff"]
#                                   anon memb mod  staf
SITE = {
    Action.CREATE_GROUP:            "N    N    N    Y",
    Action.VIEW_SITE_QUEUE:         "N    N    Y    Y",
    Action.SUSPEND_USER:            "N    N    Y    Y",
    Action.BAN_USER:                "N    N    Y    Y",
    Action.VIEW_AUDIT_LOG:          "N    N    Y    Y",
    Action.MANAGE_WATCHLIST:        "N    N    Y    Y",
    Action.DECIDE_APPEAL:           "N    N    Y    Y",
    Action.VIEW_MODERATION_FIGURES: "N    N    N    Y",
    Action.EDIT_HELPLINES:          "N    N    N    Y",
    Action.APPROVE_LOCAL_ENTRY:     "N    N    Y    Y",
    Action.SET_REFERRAL_CONTACT:    "N    N    Y    Y",
    Action.VIEW_ROTA:               "N    N    Y    Y",
    Action.EDIT_ROTA:               "N    N    N    Y",
    Action.ACKNOWLEDGE_ALERT:       "N    N    Y    Y",
    Action.MANAGE_RISK_ASSESSMENT:  "N    N    N    Y",
}  # fmt: skip

# A referral (directory/): the member it is for, the facilitator who offered it, another
# member, a facilitator of the same group who did not offer it, one of another group,
# a site moderator, staff, anonymous. The service's link is checked in tests/directory.
REFERRAL_ROLES = [
    "anonymous", "member", "other_member", "facilitator", "group_facilitator",
    "other_facilitator", "moderator", "staff",
]
#                              anon memb omem faci gfac ofac mod  staf
REFERRAL = {
    Action.VIEW_REFERRAL:     "N    Y    N    Y    N    N    Y    Y",
    Action.CONSENT_REFERRAL:  "N    Y    N    N    N    N    N    N",
    Action.WITHDRAW_REFERRAL: "N    Y    N    N    N    N    N    N",
}  # fmt: skip


def _row(text: str, roles: list[str]) -> dict[str, bool]:
    cells = text.split()
    assert len(cells) == len(roles), text
    return {role: cell == "Y" for role, cell in zip(roles, cells, strict=True)}


def test_every_action_has_a_row():
    assert set(OPEN_LISTED) | set(SITE) | set(REFERRAL) == set(Action)
    assert not set(OPEN_LISTED) & set(SITE)
    assert not (set(OPEN_LISTED) | set(SITE)) & set(REFERRAL)


def _cast(group: Group) -> dict:
    """One person for each role, in `group`."""
    from django.contrib.auth.models import AnonymousUser

    S = Membership.Status
    elsewhere = GroupFactory()
    people = {
        "anonymous": AnonymousUser(),
        "outsider": UserFactory(),
        "pending": MembershipFactory(group=group, status=S.PENDING, joined_at=None).user,
        "member": MembershipFactory(group=group).user,
        "muted": MembershipFactory(
            group=group, muted_until=timezone.now() + timedelta(hours=2)
        ).user,
        "facilitator": MembershipFactory(group=group, role=Membership.Role.FACILITATOR).user,
        "other_facilitator": MembershipFactory(
            group=elsewhere, role=Membership.Role.FACILITATOR
        ).user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
        "banned": MembershipFactory(group=group, status=S.BANNED).user,
    }
    return people


def _actual(group: Group, people: dict, action: Action) -> dict[str, bool]:
    return {
        role: can(user, action, group, membership_for(user, group)) for role, user in people.items()
    }


@pytest.fixture
def open_group(db):
    return GroupFactory(join_policy=Group.JoinPolicy.OPEN)


@pytest.mark.parametrize("action", list(OPEN_LISTED), ids=str)
def test_open_listed_group(open_group, action):
    people = _cast(open_group)
    assert _actual(open_group, people, action) == _row(OPEN_LISTED[action], ROLES)


@pytest.mark.parametrize("action", list(OPEN_LISTED), ids=str)
def test_request_listed_group(db, action):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    people = _cast(group)
    expected = _row(REQUEST_LISTED_DIFF.get(action, OPEN_LISTED[action]), ROLES)
    assert _actual(group, people, action) == expected


@pytest.mark.parametrize("action", list(OPEN_LISTED), ids=str)
def test_unlisted_invite_group(db, action):
    group = GroupFactory(join_policy=Group.JoinPolicy.INVITE, visibility=Group.Visibility.UNLISTED)
    people = _cast(group)
    expected = _row(UNLISTED_INVITE_DIFF.get(action, OPEN_LISTED[action]), ROLES)
    for role in CANNOT_SEE_UNLISTED:
        expected[role] = False
    assert _actual(group, people, action) == expected


@pytest.mark.parametrize("action", list(SITE), ids=str)
def test_site_actions(db, action):
    from django.contrib.auth.models import AnonymousUser

    people = {
        "anonymous": AnonymousUser(),
        "member": MembershipFactory().user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
    }
    actual = {role: can_site(user, action) for role, user in people.items()}
    assert actual == _row(SITE[action], SITE_ROLES)


def test_suspended_member_cannot_post_but_can_read(group):
    member = MembershipFactory(group=group).user
    member.suspended_until = timezone.now() + timedelta(days=1)
    member.save()
    membership = membership_for(member, group)
    assert can(member, Action.READ_CHAT, group, membership)
    assert not can(member, Action.POST_MESSAGE, group, membership)


def test_site_action_is_not_a_group_action(group, member):
    with pytest.raises(ValueError):
        can(member, Action.BAN_USER, group, membership_for(member, group))


def test_access_group_hides_unlisted_groups_with_the_same_404(db):
    group = GroupFactory(visibility=Group.Visibility.UNLISTED, join_policy="invite")
    people = _cast(group)
    for role in CANNOT_SEE_UNLISTED:
        with pytest.raises(Http404) as missing:
            access_group(people[role], slug=group.slug)
        with pytest.raises(Http404) as unknown:
            access_group(people[role], slug="no-such-group")
        assert str(missing.value) == str(unknown.value)
    assert access_group(people["member"], slug=group.slug).group == group
    # Visible but not allowed: a 403, never a 404.
    with pytest.raises(PermissionDenied):
        access_group(people["member"], slug=group.slug, action=Action.MANAGE_MEMBERS)


def _outcome(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"
    return "ok"


@pytest.mark.parametrize("visibility", ["listed", "unlisted"])
def test_the_websocket_recheck_by_user_id_agrees_with_access_group(db, visibility):
    """`access_group_by_user_id` (an open socket re-checking itself) must decide exactly as
    `access_group`, for every role and every group action; closed accounts are refused."""
    group = GroupFactory(visibility=visibility, join_policy="invite")
    people = {r: u for r, u in _cast(group).items() if r != "anonymous"}
    closed = MembershipFactory(group=group).user
    closed.is_active = False
    closed.save()
    for action in OPEN_LISTED:
        for role, user in people.items():
            expected = _outcome(access_group, user, group_id=group.pk, action=action)
            actual = _outcome(access_group_by_user_id, user.pk, group.pk, action)
            assert actual == expected, (role, action)
        assert _outcome(access_group_by_user_id, closed.pk, group.pk, action) == "403"


def test_the_websocket_recheck_of_a_member_is_one_query(group, django_assert_num_queries):
    member = MembershipFactory(group=group).user
    with django_assert_num_queries(1):
        user, access = access_group_by_user_id(member.pk, group.pk, Action.POST_MESSAGE)
    assert user.pk == member.pk and access.membership.user_id == member.pk


def test_referral_matrix(db):
    from django.contrib.auth.models import AnonymousUser

    from groups.permissions import referral_allows

    group, elsewhere = GroupFactory(), GroupFactory()
    F = Membership.Role.FACILITATOR
    people = {
        "anonymous": AnonymousUser(),
        "member": MembershipFactory(group=group).user,
        "other_member": MembershipFactory(group=group).user,
        "facilitator": MembershipFactory(group=group, role=F).user,
        "group_facilitator": MembershipFactory(group=group, role=F).user,
        "other_facilitator": MembershipFactory(group=elsewhere, role=F).user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
    }
    ids = {"member_id": people["member"].pk, "facilitator_id": people["facilitator"].pk}
    for action, text in REFERRAL.items():
        for role, expected in _row(text, REFERRAL_ROLES).items():
            assert referral_allows(people[role], action, **ids) is expected, (role, action)
    with pytest.raises(ValueError):
        referral_allows(people["member"], Action.READ_CHAT, **ids)

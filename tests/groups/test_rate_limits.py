"""Joining, asking to join and invite links are rate limited over HTTP, by the one mechanism
(config.ratelimit)."""

from __future__ import annotations

import pytest

from groups import services
from groups.models import Invite, Membership
from tests.factories import GroupFactory, MembershipFactory
from tests.ratelimits import LIMIT, Row, assert_limited, tight_limits  # noqa: F401

pytestmark = pytest.mark.django_db
N = LIMIT + 1


def _mine(user, status):
    return lambda: Membership.objects.filter(user=user, status=status).count()


def join(f):
    groups = [GroupFactory(join_policy="open") for _ in range(N)]
    return Row(
        user=f.user,
        posts=[(f"/groups/{g.slug}/join/", {}) for g in groups],
        stored=_mine(f.user, Membership.Status.ACTIVE),
    )


def join_request(f):
    text = "We have two little ones"
    groups = [GroupFactory(join_policy="request", join_questions=["About you?"]) for _ in range(N)]
    return Row(
        user=f.user,
        posts=[(f"/groups/{g.slug}/ask/", {"answer_0": text}) for g in groups],
        stored=_mine(f.user, Membership.Status.PENDING),
        typed=text,
    )


def invite_create(f):
    return Row(
        user=f.facilitator,
        posts=[(f"/groups/{f.group.slug}/invites/new/", {"days": "7"})] * N,
        stored=lambda: Invite.objects.filter(group=f.group).count(),
        get_status=405,
    )


def invite_accept(f):
    invites = []
    for _ in range(N):
        group = GroupFactory(join_policy="invite")
        host = MembershipFactory(group=group, role="facilitator").user
        invites.append(services.invite_create(group=group, created_by=host))
    return Row(
        user=f.user,
        posts=[(f"/groups/invite/{i.token}/", {}) for i in invites],
        stored=_mine(f.user, Membership.Status.ACTIVE),
    )


ROWS = [join, join_request, invite_create, invite_accept]


class Fixtures:
    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return self._request.getfixturevalue(name)


@pytest.mark.usefixtures("tight_limits")
@pytest.mark.parametrize("make_row", ROWS, ids=[r.__name__ for r in ROWS])
def test_posts_over_the_limit_get_a_kind_429(make_row, request):
    assert_limited(make_row(Fixtures(request)))

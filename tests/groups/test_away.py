"""A facilitator's "I'm away" dates: who may cover, and what is refused (changing nothing)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from groups import services
from groups.models import FacilitatorAway, Membership
from groups.services import GroupError
from notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 4)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-05-04 10:00 +0100", tick=False):
        yield


@pytest.fixture
def jo(group):
    return MembershipFactory(group=group, role="facilitator")


@pytest.fixture
def co(group):
    return MembershipFactory(group=group, role="facilitator")


def away(membership, **kwargs):
    kwargs.setdefault("starts_on", TODAY + timedelta(days=7))
    kwargs.setdefault("ends_on", TODAY + timedelta(days=14))
    return services.away_set(membership=membership, **kwargs)


def test_a_co_facilitator_covers_and_is_told(jo, co):
    row = away(jo, cover_user_id=co.user_id)
    assert row.cover_id == co.user_id and not row.ask_moderators
    told = Notification.objects.get(user=co.user)
    assert "You're covering" in told.title and "register" in told.body


def test_asking_the_moderators_tells_them(jo, moderator):
    row = away(jo, ask_moderators=True)
    assert row.ask_moderators and row.cover_id is None
    assert "needs cover" in Notification.objects.get(user=moderator).title


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("outsider", "cover_not_member"),
        ("left", "cover_not_member"),
        ("member", "cover_not_facilitator"),
        ("self", "cover_self"),
    ],
)
def test_cover_must_be_a_co_facilitator_of_the_group(jo, group, who, code):
    if who == "outsider":
        cover_id = UserFactory().pk
    elif who == "left":
        cover_id = MembershipFactory(group=group, status=Membership.Status.LEFT).user_id
    elif who == "member":
        cover_id = MembershipFactory(group=group).user_id
    else:
        cover_id = jo.user_id
    with pytest.raises(GroupError) as err:
        away(jo, cover_user_id=cover_id)
    assert err.value.code == code
    assert not FacilitatorAway.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"starts_on": TODAY + timedelta(days=3), "ends_on": TODAY}, "away_dates"),
        ({"starts_on": TODAY - 9 * DAY, "ends_on": TODAY - 2 * DAY}, "away_past"),
        ({"ends_on": TODAY + timedelta(days=200)}, "away_too_long"),
        ({}, "cover_missing"),
    ],
)
def test_bad_dates_or_no_cover_change_nothing(jo, kwargs, code):
    with pytest.raises(GroupError) as err:
        away(jo, **kwargs)
    assert err.value.code == code
    assert not FacilitatorAway.objects.exists()


def test_overlapping_dates_are_refused(jo, co):
    away(jo, cover_user_id=co.user_id)
    with pytest.raises(GroupError) as err:
        away(jo, ask_moderators=True, starts_on=TODAY + timedelta(days=10))
    assert err.value.code == "away_overlap"
    assert FacilitatorAway.objects.count() == 1


def test_a_plain_member_cannot_mark_away(group):
    with pytest.raises(GroupError):
        away(MembershipFactory(group=group), ask_moderators=True)


def test_not_away_leaves_out_only_those_away_that_day(jo, co, group):
    away(jo, cover_user_id=co.user_id)
    facilitators = Membership.objects.facilitators().filter(group=group)
    during = facilitators.not_away(TODAY + timedelta(days=7))
    before = facilitators.not_away(TODAY + timedelta(days=6))
    after = facilitators.not_away(TODAY + timedelta(days=15))
    assert set(during) == {co}
    assert set(before) == set(after) == {jo, co}


def test_cancel_own_dates_only(jo, co):
    row = away(jo, cover_user_id=co.user_id)
    with pytest.raises(GroupError):
        services.away_cancel(membership=co, away_id=row.pk)
    services.away_cancel(membership=jo, away_id=row.pk)
    assert not FacilitatorAway.objects.exists()

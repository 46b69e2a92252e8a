"""While a facilitator is away, the group's meetups carry on: the co-facilitator covering
gets the reminders and the "personal hello" suggestions, the one away gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from groups import services as group_services
from groups.models import Membership
from meetups import services
from notifications.models import Kind, Notification
from tests.factories import MembershipFactory

from .conftest import held, make_members

pytestmark = pytest.mark.django_db
UTC = dt.UTC
WEEKS = [dt.datetime(2026, 1, 6, 19, 0, tzinfo=UTC) + dt.timedelta(weeks=i) for i in range(6)]


def test_the_cover_gets_the_suggestion_the_one_away_does_not(london_group, fac, settings):
    co = MembershipFactory(group=london_group, role="facilitator").user
    (m,) = make_members(london_group, 1)
    membership = Membership.objects.get(user=fac, group=london_group)
    import time_machine

    with time_machine.travel(WEEKS[0] - dt.timedelta(days=1), tick=False):
        group_services.away_set(
            membership=membership,
            starts_on=WEEKS[3].date(),
            ends_on=WEEKS[4].date(),
            cover_user_id=co.pk,
        )
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    for week in WEEKS[1:3]:
        held(london_group, co, start_utc=week, present=[co])
        services.nudges_send(now=week.replace(hour=10) + dt.timedelta(days=1))
    held(london_group, co, start_utc=WEEKS[3], present=[co])  # the cover takes the register
    result = services.nudges_send(now=WEEKS[3].replace(hour=10) + dt.timedelta(days=1))
    assert result.suggestions == 1
    hello = Notification.objects.filter(kind="facilitator", title__startswith="Time for a personal")
    assert list(hello.values_list("user_id", flat=True)) == [co.pk]


def test_no_reminders_for_the_one_away(london_group, fac):
    co = MembershipFactory(group=london_group, role="facilitator").user
    make_members(london_group, 2)
    membership = Membership.objects.get(user=fac, group=london_group)
    start = WEEKS[2]
    import time_machine

    with time_machine.travel(WEEKS[0], tick=False):
        group_services.away_set(
            membership=membership, starts_on=start.date() - dt.timedelta(days=2),
            ends_on=start.date() + dt.timedelta(days=2), ask_moderators=True,
        )  # fmt: skip
        occ = services.one_off_create(
            group=london_group, by=co, title="Weekly meetup", on=start.date(),
            start_time=dt.time(19), place=services.Place(venue_name="Family Hub"),
        )  # fmt: skip
        services.rsvp_set(occurrence=occ, user=fac, answer="going")
        services.rsvp_set(occurrence=occ, user=co, answer="going")
    services.reminders_send(now=occ.starts_at - dt.timedelta(hours=23, minutes=50))
    reminded = set(
        Notification.objects.filter(kind=Kind.MEETUP_REMINDER).values_list("user_id", flat=True)
    )
    assert co.pk in reminded and fac.pk not in reminded

import datetime as dt

import pytest

from meetups import services
from tests.factories import GroupFactory, MembershipFactory

UTC = dt.UTC


@pytest.fixture
def london_group(db):
    return GroupFactory(time_zone="Europe/London")


@pytest.fixture
def fac(london_group):
    return MembershipFactory(group=london_group, role="facilitator").user


def make_members(group, n, **user):
    """`n` active members; `quiet_hours=DEFAULT` (tests.factories) for the default hours."""
    user = {f"user__{k}": v for k, v in user.items()}
    return [MembershipFactory(group=group, **user).user for _ in range(n)]


def past_meetup(group, by, *, start_utc, minutes=90, title="Weekly meetup"):
    """A one-off meetup that has already happened (demo/test history)."""
    local = start_utc.astimezone(dt.UTC)
    from zoneinfo import ZoneInfo

    local = start_utc.astimezone(ZoneInfo(group.time_zone))
    return services.one_off_create(
        group=group, by=by, title=title, on=local.date(), start_time=local.time(),
        duration_minutes=minutes, place=services.Place(venue_name="Family Hub"), allow_past=True,
    )  # fmt: skip


def held(group, by, *, start_utc, present, close=True):
    """A meetup that happened with a register taken through the real services."""
    occ = past_meetup(group, by, start_utc=start_utc)
    now = occ.starts_at + dt.timedelta(minutes=10)
    if present:
        services.attendance_mark(occurrence=occ, user_ids=[u.pk for u in present], by=by, now=now)
    if close:
        services.register_close(occurrence=occ, by=by, now=occ.ends_at + dt.timedelta(minutes=5))
    occ.refresh_from_db()
    return occ


@pytest.fixture
def member(london_group):
    """A member of the London group (overrides the shared fixture's separate group)."""
    return MembershipFactory(group=london_group).user

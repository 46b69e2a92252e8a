"""Scheduling: validation, DST both ways, series edits, one-week changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from meetups import services
from meetups.models import MeetupSeries, Occurrence
from notifications.models import Notification

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_series(group, by, **kw):
    args = {
        "group": group,
        "by": by,
        "title": "Tuesday evening chat",
        "first_date": dt.date(2026, 3, 3),
        "start_time": dt.time(19, 0),
        "duration_minutes": 90,
        "place": services.Place(venue_name="Family Hub", venue_address="1 High St, Dudley"),
        "now": NOW,
    }
    args.update(kw)
    return services.series_create(**args)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"duration_minutes": 0}, "duration_minutes"),  # end not after start
        ({"duration_minutes": -30}, "duration_minutes"),
        ({"first_date": dt.date(2026, 2, 24)}, "first_date"),  # the past
        ({"capacity": 0}, "capacity"),
        ({"capacity": -2}, "capacity"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"ends_on": dt.date(2026, 3, 1)}, "ends_on"),
        ({"title": "  "}, "title"),
        ({"interval_weeks": 0}, "interval_weeks"),
    ],
)
def test_bad_input_is_refused_kindly_and_nothing_saved(london_group, fac, kw, field):
    with pytest.raises(ValidationError) as err:
        make_series(london_group, fac, **kw)
    assert field in err.value.message_dict
    assert all(m.endswith(".") for m in err.value.message_dict[field])  # a sentence, not a code
    assert not MeetupSeries.objects.exists()
    assert not Occurrence.objects.exists()


def test_weekly_series_keeps_local_time_across_spring_forward(london_group, fac):
    # Clocks go forward on the last Sunday of March (29 March 2026).
    series = make_series(london_group, fac)
    occs = list(series.occurrences.order_by("starts_at"))
    assert len(occs) >= 8
    assert [o.local_start.date() for o in occs[:6]] == [
        dt.date(2026, 3, 3), dt.date(2026, 3, 10), dt.date(2026, 3, 17), dt.date(2026, 3, 24),
        dt.date(2026, 3, 31), dt.date(2026, 4, 7),
    ]  # fmt: skip
    assert all(o.local_start.time() == dt.time(19, 0) for o in occs)
    assert occs[3].starts_at == dt.datetime(2026, 3, 24, 19, 0, tzinfo=UTC)  # GMT
    assert occs[4].starts_at == dt.datetime(2026, 3, 31, 18, 0, tzinfo=UTC)  # BST
    assert occs[4].ends_at - occs[4].starts_at == dt.timedelta(minutes=90)


def test_weekly_series_keeps_local_time_across_fall_back(london_group, fac):
    # Clocks go back on the last Sunday of October (25 October 2026).
    now = dt.datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    series = make_series(london_group, fac, first_date=dt.date(2026, 10, 13), now=now)
    occs = {o.local_start.date(): o for o in series.occurrences.all()}
    assert occs[dt.date(2026, 10, 20)].starts_at == dt.datetime(2026, 10, 20, 18, 0, tzinfo=UTC)
    assert occs[dt.date(2026, 10, 27)].starts_at == dt.datetime(2026, 10, 27, 19, 0, tzinfo=UTC)
    assert {o.local_start.time() for o in occs.values()} == {dt.time(19, 0)}


def test_every_two_weeks_and_ends_on(london_group, fac):
    series = make_series(london_group, fac, interval_weeks=2, ends_on=dt.date(2026, 4, 14))
    days = [o.local_start.date() for o in series.occurrences.order_by("starts_at")]
    assert days == [
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 14),
    ]


def test_extend_is_idempotent_and_rolls_forward(london_group, fac):
    series = make_series(london_group, fac)
    count = series.occurrences.count()
    assert services.occurrences_extend(now=NOW) == 0
    assert series.occurrences.count() == count
    later = NOW + dt.timedelta(weeks=3)
    # The weeks ahead counted from the first meetup (Tuesday 3 March, so up to 28 April),
    # and now from today (up to 17 May): 5 and 12 May are new.
    assert services.occurrences_extend(now=later) == 2
    assert services.occurrences_extend(now=later) == 0


def test_series_update_changes_only_future_unmodified(london_group, fac, member):
    series = make_series(london_group, fac)
    occs = list(series.occurrences.order_by("starts_at"))
    services.occurrence_set_note(occurrence=occs[2], by=fac, note="Bring a packed lunch")
    moved = services.occurrence_move(
        occurrence=occs[3], by=fac, on=dt.date(2026, 3, 25), start_time=dt.time(10, 0), now=NOW
    )
    later = dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # after the first one
    services.series_update(
        series=series, by=fac, now=later, start_time=dt.time(18, 30), venue_name="Library"
    )
    fresh = {o.pk: o for o in Occurrence.objects.filter(series=series)}
    assert fresh[occs[0].pk].local_start.time() == dt.time(19, 0)  # past: untouched
    assert fresh[occs[0].pk].venue_name == "Family Hub"
    assert fresh[occs[1].pk].local_start.time() == dt.time(18, 30)
    assert fresh[occs[1].pk].venue_name == "Library"
    assert fresh[occs[2].pk].local_start.time() == dt.time(19, 0)  # has its own note
    assert fresh[occs[3].pk].starts_at == moved.starts_at  # moved by hand
    assert fresh[occs[4].pk].starts_at == dt.datetime(2026, 3, 31, 17, 30, tzinfo=UTC)  # 18:30 BST


def test_series_update_refuses_changing_the_day(london_group, fac):
    series = make_series(london_group, fac)
    with pytest.raises(ValidationError):
        services.series_update(series=series, by=fac, now=NOW, weekday=3)


def test_cancel_tells_people_coming(london_group, fac, django_capture_on_commit_callbacks):
    from tests.factories import MembershipFactory

    going = MembershipFactory(group=london_group).user
    silent = MembershipFactory(group=london_group).user
    series = make_series(london_group, fac)
    occ = series.occurrences.order_by("starts_at")[1]
    services.rsvp_set(occurrence=occ, user=going, answer="going", now=NOW)
    services.occurrence_cancel(occurrence=occ, by=fac, reason="The hall is closed", now=NOW)
    occ.refresh_from_db()
    assert occ.is_cancelled and occ.cancel_reason == "The hall is closed"
    note = Notification.objects.get(user=going)
    assert note.kind == "meetup_change" and "The hall is closed" in note.body
    assert not Notification.objects.filter(user=silent).exists()
    with pytest.raises(ValidationError, match="cancelled"):
        services.rsvp_set(occurrence=occ, user=silent, answer="going", now=NOW)


def test_move_to_the_past_is_refused(london_group, fac):
    occ = make_series(london_group, fac).occurrences.first()
    with pytest.raises(ValidationError):
        services.occurrence_move(
            occurrence=occ, by=fac, on=dt.date(2026, 2, 1), start_time=dt.time(10), now=NOW
        )
    occ.refresh_from_db()
    assert not occ.moved


def test_rsvp_to_past_meetup_refused(london_group, fac, member):
    occ = make_series(london_group, fac).occurrences.first()
    with (
        time_machine.travel(occ.ends_at + dt.timedelta(minutes=1)),
        pytest.raises(ValidationError, match="already happened"),
    ):
        services.rsvp_set(occurrence=occ, user=member, answer="going")


def test_waiting_list_promotes_and_tells(london_group, fac):
    from tests.factories import MembershipFactory

    a, b, c = (MembershipFactory(group=london_group).user for _ in range(3))
    occ = make_series(london_group, fac, capacity=1).occurrences.first()
    assert not services.rsvp_set(occurrence=occ, user=a, answer="going", now=NOW).waitlisted
    rb = services.rsvp_set(occurrence=occ, user=b, answer="going", now=NOW)
    rc = services.rsvp_set(occurrence=occ, user=c, answer="going", now=NOW)
    assert (rb.waitlist_position, rc.waitlist_position) == (1, 2)
    # changing your message doesn't lose your place
    assert not services.rsvp_set(
        occurrence=occ, user=a, answer="going", message="hi", now=NOW
    ).waitlisted
    services.rsvp_set(occurrence=occ, user=a, answer="no", message="Poorly child", now=NOW)
    rb.refresh_from_db()
    rc.refresh_from_db()
    assert rb.waitlist_position is None and rc.waitlist_position == 2
    assert Notification.objects.filter(user=b, kind="waitlist").count() == 1
    assert not Notification.objects.filter(user=c).exists()
    assert services.going_count(occ) == 1

"""What a week of real use broke in meetups (issue 17), each case through the real jobs."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from meetups import services, tasks, tokens
from meetups.models import Delivery, Occurrence
from notifications.models import Notification
from tests.factories import GroupFactory, MembershipFactory

from .conftest import held, make_members

UTC = dt.UTC
TUESDAY = dt.datetime(2026, 1, 6, 19, 0, tzinfo=UTC)  # 19:00 in London (GMT)


# --- the weekly nudge cap ---------------------------------------------------------------


def _run_nudge_job(at, mailoutbox, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.send_missed_you_nudges()


def test_two_registers_closing_in_one_run_nudge_each_member_once(
    london_group, fac, mailoutbox, django_capture_on_commit_callbacks
):
    priya, sam = make_members(london_group, 2)
    held(london_group, fac, start_utc=TUESDAY, present=[priya, sam])
    # Two meetups the next week, both missed; nobody has closed their registers yet.
    monday = held(london_group, fac, start_utc=TUESDAY + dt.timedelta(days=6),
                  present=[fac], close=False)  # fmt: skip
    tuesday = held(london_group, fac, start_utc=TUESDAY + dt.timedelta(days=7),
                   present=[fac], close=False)  # fmt: skip
    # Wednesday morning: the job closes both registers, then nudges.
    _run_nudge_job(dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC), mailoutbox,
                   django_capture_on_commit_callbacks)  # fmt: skip
    for member in (priya, sam):
        assert Notification.objects.filter(user=member, kind="missed_you").count() == 1
        # the newest meetup is the one we say we missed them at
        assert list(
            Delivery.objects.filter(user=member, kind="nudge").values_list("occurrence_id")
        ) == [(tuesday.pk,)]
        assert [m.to for m in mailoutbox].count([member.email]) == 1
    assert monday.pk != tuesday.pk


def test_nudge_cap_is_per_member_across_groups(
    london_group, fac, mailoutbox, django_capture_on_commit_callbacks
):
    other = GroupFactory(time_zone="Europe/London")
    other_fac = MembershipFactory(group=other, role="facilitator").user
    priya, sam = make_members(london_group, 2)
    for member in (priya, sam):
        MembershipFactory(group=other, user=member)
    for group, by in ((london_group, fac), (other, other_fac)):
        held(group, by, start_utc=TUESDAY, present=[priya, sam])
    # Priya misses both groups' meetups on the same evening: one run, one nudge.
    for group, by in ((london_group, fac), (other, other_fac)):
        held(group, by, start_utc=TUESDAY + dt.timedelta(days=7), present=[by, sam],
             close=False)  # fmt: skip
    _run_nudge_job(dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC), mailoutbox,
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert Delivery.objects.filter(user=priya, kind="nudge").count() == 1
    assert Notification.objects.filter(user=priya, kind="missed_you").count() == 1
    # Two days later both miss both groups' meetups, in another run: Sam has had no nudge
    # this week, so gets one (one, not one per group); Priya has, so gets none.
    held(other, other_fac, start_utc=TUESDAY + dt.timedelta(days=9), present=[other_fac],
         close=False)  # fmt: skip
    held(london_group, fac, start_utc=TUESDAY + dt.timedelta(days=9), present=[fac],
         close=False)  # fmt: skip
    _run_nudge_job(dt.datetime(2026, 1, 16, 10, 0, tzinfo=UTC), mailoutbox,
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert Delivery.objects.filter(user=sam, kind="nudge").count() == 1
    assert Delivery.objects.filter(user=priya, kind="nudge").count() == 1
    assert [m.to for m in mailoutbox].count([priya.email]) == 1
    assert [m.to for m in mailoutbox].count([sam.email]) == 1


# --- series that start a long way ahead ----------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a Sunday
FAR = dt.date(2026, 5, 26)  # a Tuesday, twelve weeks and two days ahead


def test_series_starting_twelve_weeks_ahead_has_its_meetups_at_once(london_group, fac):
    series = services.series_create(
        group=london_group, by=fac, title="Tuesday evening chat", first_date=FAR,
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"), now=NOW,
    )  # fmt: skip
    occs = list(series.occurrences.order_by("starts_at"))
    assert len(occs) >= services.WEEKS_AHEAD  # the weeks ahead count from its first meetup
    assert occs[0].local_start.date() == FAR
    assert occs[0].local_start.time() == dt.time(19, 0)
    # the periodic job keeps them and adds nothing twice
    assert services.occurrences_extend(now=NOW) == 0
    assert services.occurrences_extend(now=NOW + dt.timedelta(weeks=1)) == 0


def test_far_ahead_series_page_names_the_first_date(client, london_group, fac, member):
    client.force_login(fac)
    data = {
        "title": "Tuesday evening chat", "first_date": FAR.isoformat(), "start_time": "19:00",
        "duration_minutes": "90", "repeat": "1", "venue_name": "Family Hub",
    }  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        resp = client.post(reverse("meetups:new", kwargs={"slug": london_group.slug}), data,
                           follow=True)  # fmt: skip
        page = resp.content.decode()
        assert "Your meetups are on the calendar." in page
        assert "The first one is on Tuesday 26 May." in page
        # and the meetups page shows them rather than "No meetups planned yet"
        client.force_login(member)
        page = client.get(reverse("meetups:list", kwargs={"slug": london_group.slug}))
        assert Occurrence.objects.filter(group=london_group).exists()
        [first, *_] = page.context["occurrences"]
        assert first.local_start.date() == FAR
        assert "No meetups planned yet" not in page.content.decode()


# --- reminders follow what the member already did --------------------------------------------

MEETUP = dt.datetime(2026, 2, 3, 19, 0, tzinfo=UTC)  # Tuesday 7pm in London


def _run_reminder_job(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.send_meetup_reminders()


def _rsvp_links(message):
    found = re.findall(r"https?://\S+/meetups/rsvp/(\S+)/", message.body)
    with time_machine.travel(MEETUP, tick=False):  # the links last two weeks
        return [tokens.read(tokens.Purpose.RSVP, t).answer for t in found]


@pytest.fixture
def answered(london_group, fac):
    """A meetup next Tuesday; regulars who said going, not sure, can't make it, or nothing."""
    going, maybe, no, silent = make_members(london_group, 4)
    for week in range(3, 0, -1):
        held(london_group, fac, start_utc=MEETUP - dt.timedelta(weeks=week),
             present=[going, maybe, no, silent])  # fmt: skip
    occ = services.one_off_create(
        group=london_group, by=fac, title="Weekly meetup", on=MEETUP.date(),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"),
        allow_past=True,
    )  # fmt: skip
    before = MEETUP - dt.timedelta(days=2)
    for who, answer in ((going, "going"), (maybe, "maybe"), (no, "no")):
        services.rsvp_set(occurrence=occ, user=who, answer=answer, now=before)
    return occ, going, maybe, no, silent


def _reminders(user):
    return list(Notification.objects.filter(user=user, kind="meetup_reminder"))


def test_reminder_for_someone_going_says_see_you_there(
    answered, mailoutbox, django_capture_on_commit_callbacks
):
    occ, going, *_ = answered
    _run_reminder_job(MEETUP - dt.timedelta(hours=23), django_capture_on_commit_callbacks)
    [note] = _reminders(going)
    assert "See you there" in note.body
    assert "Let us know if you're coming" not in note.body
    [email] = [m for m in mailoutbox if m.to == [going.email]]
    assert "See you there" in email.body
    assert "Can't make it now?" in email.body
    assert _rsvp_links(email) == ["no"]  # one tap to say they can't come after all
    assert "Going" not in email.alternatives[0][0]


def test_reminder_without_an_answer_asks(
    answered, mailoutbox, django_capture_on_commit_callbacks
):
    occ, going, maybe, no, silent = answered
    _run_reminder_job(MEETUP - dt.timedelta(hours=23), django_capture_on_commit_callbacks)
    for who in (silent, maybe):
        [note] = _reminders(who)
        assert "Let us know if you're coming" in note.body
        assert "See you there" not in note.body
        [email] = [m for m in mailoutbox if m.to == [who.email]]
        assert _rsvp_links(email) == ["going", "maybe", "no"]
    # can't make it: no reminder at all
    assert _reminders(no) == []
    assert [m for m in mailoutbox if m.to == [no.email]] == []


def test_no_today_reminder_once_checked_in(
    answered, fac, mailoutbox, django_capture_on_commit_callbacks
):
    occ, going, maybe, no, silent = answered
    arrived = MEETUP - dt.timedelta(minutes=25)
    services.self_check_in(occurrence=occ, user=going, code=occ.checkin_code, now=arrived)
    services.attendance_mark(occurrence=occ, user_ids=[silent.pk], by=fac, now=arrived)
    # the two-hour reminders are late today (the job queue was away), and go out now
    _run_reminder_job(MEETUP - dt.timedelta(minutes=20), django_capture_on_commit_callbacks)
    assert _reminders(going) == [] and _reminders(silent) == []
    assert not Delivery.objects.filter(user__in=[going, silent]).exists()
    [note] = _reminders(maybe)
    assert "today at 19:00" in note.title
    assert {m.to[0] for m in mailoutbox} == {maybe.email}

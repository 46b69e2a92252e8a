"""Reminders and nudges: who gets what, exactly once, at sensible local times, in bulk."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection

from meetups import services, tokens
from meetups.models import Delivery, NudgeReply
from notifications.models import Notification, QuietHours
from tests.factories import DEFAULT, GroupFactory, MembershipFactory

from .conftest import held, make_members

UTC = dt.UTC
# Tuesdays at 19:00 GMT in January 2026
WEEKS = [dt.datetime(2026, 1, 6, 19, 0, tzinfo=UTC) + dt.timedelta(weeks=i) for i in range(6)]


def nudge_notes(user):
    return list(Notification.objects.filter(user=user, kind="missed_you"))


def test_nudge_goes_to_expected_absent_member_only(london_group, fac):
    regular, apologised, opted_out, newcomer, present = make_members(london_group, 5)
    held(london_group, fac, start_utc=WEEKS[0], present=[regular, apologised, opted_out, present])
    occ = services.one_off_create(
        group=london_group, by=fac, title="Weekly meetup", on=WEEKS[1].date(),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Hub"), allow_past=True,
    )  # fmt: skip
    before = occ.starts_at - dt.timedelta(days=1)
    services.rsvp_set(
        occurrence=occ, user=apologised, answer="no", message="Poorly child", now=before
    )
    services.prefs_set(user=opted_out, group=london_group, nudges=False)
    services.occurrence_set_note(
        occurrence=occ, by=fac, note="", personal_line="We talked about sleep."
    )
    services.attendance_mark(occurrence=occ, user_ids=[present.pk], by=fac, now=occ.starts_at)
    services.register_close(occurrence=occ, by=fac, now=occ.ends_at)
    next_week = services.one_off_create(
        group=london_group, by=fac, title="Weekly meetup", on=WEEKS[2].date(),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Hub"), allow_past=True,
    )  # fmt: skip
    morning = dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    result = services.nudges_send(now=morning)
    assert result.sent == 1
    [note] = nudge_notes(regular)
    assert "We missed you at" in note.title and london_group.name in note.title
    assert "Tuesday" in note.title
    assert "people noticed" in note.body
    assert "We talked about sleep." in note.body
    assert "Tuesday 20 January" in note.body  # what's next week
    assert "I'm OK, see you next time" in note.body and "get in touch" in note.body
    assert note.url.endswith(f"/meetups/{occ.pk}/missed/")
    for u in (apologised, opted_out, newcomer, present, fac):
        assert nudge_notes(u) == []
    assert next_week.pk  # next week exists and is what we named


def test_quiet_hours_wait_for_the_morning(london_group, fac):
    (m,) = make_members(london_group, 1, quiet_hours=DEFAULT)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    occ = held(london_group, fac, start_utc=WEEKS[1], present=[fac])
    late_evening = occ.ends_at + dt.timedelta(hours=1)  # 21:35 GMT
    res = services.nudges_send(now=late_evening)
    assert (res.sent, res.deferred) == (0, 1)
    assert not Delivery.objects.exists()
    res = services.nudges_send(now=dt.datetime(2026, 1, 14, 8, 5, tzinfo=UTC))
    assert res.sent == 1
    assert len(nudge_notes(m)) == 1


def test_late_consumer_drops_old_nudges(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    occ = held(london_group, fac, start_utc=WEEKS[1], present=[fac])
    res = services.nudges_send(now=occ.register_closed_at + dt.timedelta(days=3, hours=1))
    assert res.sent == 0
    assert nudge_notes(m) == []


def test_at_most_one_nudge_a_week_per_group(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    mon = dt.datetime(2026, 1, 12, 11, 0, tzinfo=UTC)
    a = held(london_group, fac, start_utc=mon, present=[fac])
    assert services.nudges_send(now=mon + dt.timedelta(hours=4)).sent == 1
    b = held(london_group, fac, start_utc=WEEKS[1], present=[fac])  # Tuesday, next day
    assert services.nudges_send(now=dt.datetime(2026, 1, 14, 9, 0, tzinfo=UTC)).sent == 0
    assert len(nudge_notes(m)) == 1
    assert a.pk != b.pk


def test_third_miss_asks_facilitators_to_check_in_and_stops_nudges(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    sent = []
    for week in WEEKS[1:5]:
        held(london_group, fac, start_utc=week, present=[fac])
        morning = week.replace(hour=10) + dt.timedelta(days=1)
        sent.append(services.nudges_send(now=morning))
    assert [r.sent for r in sent] == [1, 1, 0, 0]
    assert [r.suggestions for r in sent] == [0, 0, 1, 0]
    [suggestion] = Notification.objects.filter(user=fac, kind="facilitator")
    assert m.display_name in suggestion.body
    assert "three meetups in a row" in suggestion.body
    assert len(nudge_notes(m)) == 2


def test_check_in_suggestion_waits_for_the_facilitators_morning(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    for week in WEEKS[1:3]:
        held(london_group, fac, start_utc=week, present=[fac])
        services.nudges_send(now=week.replace(hour=10) + dt.timedelta(days=1))
    occ = held(london_group, fac, start_utc=WEEKS[3], present=[fac])
    late = occ.ends_at + dt.timedelta(minutes=30)  # 21:00 in London
    night = services.nudges_send(now=late)
    assert (night.suggestions, night.deferred) == (0, 1)
    assert not Notification.objects.filter(user=fac, kind="facilitator").exists()
    assert services.nudges_send(now=late.replace(hour=8) + dt.timedelta(days=1)).suggestions == 1


def test_two_meetups_in_a_few_days_each_decided_on_its_own(london_group, fac):
    """Two meetups of one group in the job's window: the members who came to one but not
    the other are still considered for the other."""
    went_monday, went_wednesday = make_members(london_group, 2)
    held(london_group, fac, start_utc=WEEKS[0], present=[went_monday, went_wednesday])
    monday = held(london_group, fac, start_utc=WEEKS[1] - dt.timedelta(days=1),
                  present=[went_monday])  # fmt: skip
    wednesday = held(london_group, fac, start_utc=WEEKS[1] + dt.timedelta(days=1),
                     present=[went_wednesday])  # fmt: skip
    result = services.nudges_send(now=wednesday.ends_at.replace(hour=10) + dt.timedelta(days=1))
    assert result.sent == 2
    got = set(Delivery.objects.filter(kind="nudge").values_list("user_id", "occurrence_id"))
    assert got == {(went_monday.pk, wednesday.pk), (went_wednesday.pk, monday.pk)}


def test_nobody_nudged_when_no_register_was_taken(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=WEEKS[0], present=[m])
    occ = held(london_group, fac, start_utc=WEEKS[1], present=[])
    assert services.nudges_send(now=occ.ends_at.replace(hour=10) + dt.timedelta(days=1)).sent == 0


def test_registers_close_automatically(london_group, fac):
    (m,) = make_members(london_group, 1)
    occ = held(london_group, fac, start_utc=WEEKS[0], present=[m], close=False)
    assert services.registers_autoclose(now=occ.ends_at + dt.timedelta(hours=2)) == 0
    assert services.registers_autoclose(now=occ.ends_at + dt.timedelta(hours=3)) == 1
    occ.refresh_from_db()
    assert occ.register_closed


def test_nudge_reply_contact_alerts_facilitators(london_group, fac):
    (m,) = make_members(london_group, 1)
    occ = held(london_group, fac, start_utc=WEEKS[0], present=[fac])
    services.nudge_reply(occurrence=occ, user=m, choice="contact")
    services.nudge_reply(occurrence=occ, user=m, choice="contact")
    alerts = Notification.objects.filter(user=fac, kind="facilitator")
    assert alerts.count() == 1
    assert m.display_name in alerts[0].title and m.email not in alerts[0].body
    services.nudge_reply(occurrence=occ, user=m, choice="ok")
    assert NudgeReply.objects.get(user=m).choice == "ok"


# --- reminders ------------------------------------------------------------------------------


def reminder_setup(group, fac):
    going, maybe, no, regular, stranger = make_members(group, 5)
    for week in WEEKS[:3]:
        held(group, fac, start_utc=week, present=[regular, going])
    occ = services.one_off_create(
        group=group, by=fac, title="Weekly meetup", on=dt.date(2026, 2, 3),
        start_time=dt.time(19, 0),
        place=services.Place(venue_name="Family Hub", venue_address="1 High St, Dudley"),
        allow_past=True,
    )  # fmt: skip
    t = occ.starts_at - dt.timedelta(days=2)
    services.rsvp_set(occurrence=occ, user=going, answer="going", now=t)
    services.rsvp_set(occurrence=occ, user=maybe, answer="maybe", now=t)
    services.rsvp_set(occurrence=occ, user=no, answer="no", now=t)
    return occ, going, maybe, no, regular, stranger


def test_reminders_go_to_going_maybe_and_regulars(
    london_group, fac, mailoutbox, django_capture_on_commit_callbacks
):
    occ, going, maybe, no, regular, stranger = reminder_setup(london_group, fac)
    now = occ.starts_at - dt.timedelta(hours=23)  # 20:00 the day before
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=now).sent == 3
    got = set(Notification.objects.filter(kind="meetup_reminder").values_list("user_id", flat=True))
    assert got == {going.pk, maybe.pk, regular.pk}
    note = Notification.objects.get(kind="meetup_reminder", user=maybe)
    assert "tomorrow at 19:00" in note.title
    assert "openstreetmap.org/search?query=Family+Hub" in note.body
    assert note.url.endswith(f"/meetups/{occ.pk}/")
    assert note.data == {"occurrence": occ.pk}
    # each email carries the member's own signed one-tap answers
    by_person = {m.to[0]: m for m in mailoutbox}
    assert set(by_person) == {going.email, maybe.email, regular.email}
    links = {}
    for email, message in by_person.items():
        found = re.findall(r"https?://\S+/meetups/rsvp/(\S+)/", message.body)
        links[email] = [tokens.read(tokens.Purpose.RSVP, t) for t in found]
    for email in (maybe.email, regular.email):  # going, not sure, can't make it
        assert [t.answer for t in links[email]] == ["going", "maybe", "no"]
    # someone going is asked nothing: one tap to say they can't make it after all
    assert [t.answer for t in links[going.email]] == ["no"]
    assert {t.user_id for t in links[going.email]} == {going.pk}
    assert {t.user_id for t in links[maybe.email]} == {maybe.pk}
    assert {t.occurrence_id for ts in links.values() for t in ts} == {occ.pk}
    html = by_person[going.email].alternatives[0][0]
    assert "/meetups/rsvp/" in html and "Can&#x27;t make it" in html
    # run again: nothing new
    assert services.reminders_send(now=now).sent == 0
    # two hours before: the 2 h reminder, once
    assert services.reminders_send(now=occ.starts_at - dt.timedelta(minutes=110)).sent == 3
    assert Notification.objects.filter(kind="meetup_reminder").count() == 6
    # after it started: nothing (late consumer)
    assert services.reminders_send(now=occ.starts_at + dt.timedelta(minutes=1)).sent == 0


def test_reminders_switched_off_per_series(london_group, fac, member):
    from .test_scheduling import make_series

    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    series = make_series(london_group, fac, reminders_24h=False, reminders_2h=False, now=now)
    occ = series.occurrences.first()
    services.rsvp_set(occurrence=occ, user=member, answer="going", now=now)
    assert services.reminders_send(now=occ.starts_at - dt.timedelta(hours=1)).sent == 0


def test_reminder_waits_out_quiet_hours(london_group, fac):
    (m,) = make_members(london_group, 1, quiet_hours=DEFAULT)
    occ = services.one_off_create(
        group=london_group, by=fac, title="Breakfast", on=dt.date(2026, 2, 3),
        start_time=dt.time(9, 30), place=services.Place(venue_name="Cafe"), allow_past=True,
    )  # fmt: skip
    services.rsvp_set(
        occurrence=occ, user=m, answer="going", now=occ.starts_at - dt.timedelta(days=3)
    )
    res = services.reminders_send(now=occ.starts_at - dt.timedelta(hours=2))  # 07:30
    assert (res.sent, res.deferred) == (0, 1)
    assert services.reminders_send(now=occ.starts_at - dt.timedelta(hours=1)).sent == 1


def test_reminders_and_nudges_follow_each_members_own_quiet_hours(london_group, fac):
    """The fixed 21:00-08:00 is only the default: a member who chose 22:30-06:00 hears at
    07:30, and at 21:35 only the nudge of a member with quiet hours off goes."""
    default, early_riser = make_members(london_group, 2, quiet_hours=DEFAULT)
    QuietHours.objects.update_or_create(
        user=early_riser, defaults={"start": dt.time(22, 30), "end": dt.time(6, 0)}
    )
    occ = services.one_off_create(
        group=london_group, by=fac, title="Breakfast", on=dt.date(2026, 2, 3),
        start_time=dt.time(9, 30), place=services.Place(venue_name="Cafe"), allow_past=True,
    )  # fmt: skip
    for m in (default, early_riser):
        services.rsvp_set(
            occurrence=occ, user=m, answer="going", now=occ.starts_at - dt.timedelta(days=3)
        )
    res = services.reminders_send(now=occ.starts_at - dt.timedelta(hours=2))  # 07:30
    assert (res.sent, res.deferred) == (1, 1)
    assert Notification.objects.filter(user=early_riser, kind="meetup_reminder").count() == 1
    assert not Notification.objects.filter(user=default, kind="meetup_reminder").exists()

    night_owl, sleeper = make_members(london_group, 2, quiet_hours=DEFAULT)
    QuietHours.objects.filter(user=night_owl).delete()
    QuietHours.objects.create(user=night_owl, enabled=False)
    held(london_group, fac, start_utc=WEEKS[0], present=[night_owl, sleeper])
    missed = held(london_group, fac, start_utc=WEEKS[1], present=[fac])
    res = services.nudges_send(now=missed.ends_at + dt.timedelta(hours=1))  # 21:35 GMT
    assert len(nudge_notes(night_owl)) == 1 and nudge_notes(sleeper) == []


# --- scale: constant queries --------------------------------------------------------------


def _nudge_world(group, fac, n):
    members = make_members(group, n)
    held(group, fac, start_utc=WEEKS[0], present=members)
    occ = held(group, fac, start_utc=WEEKS[1], present=[fac])
    return occ, members


# On PostgreSQL the delivery rows go in with one INSERT .. RETURNING (no read-back query).
NUDGE_QUERIES = {"sqlite": 17, "postgresql": 16}
REMINDER_QUERIES = {"sqlite": 13, "postgresql": 12}  # incl. who is already on the register


def _many_groups_world(groups, n):
    """In each group: n members who came every week until they missed the latest meetup
    (a nudge each), and one who has now missed three in a row (a check-in suggestion to
    the facilitator). Every group's latest register has just closed."""
    for i in range(groups):
        group = GroupFactory(time_zone="Europe/London")
        fac = MembershipFactory(group=group, role="facilitator").user
        members = make_members(group, n)
        (drifter,) = make_members(group, 1)
        held(group, fac, start_utc=WEEKS[0], present=[*members, drifter])
        held(group, fac, start_utc=WEEKS[1], present=members)
        held(group, fac, start_utc=WEEKS[2], present=members)
        held(group, fac, start_utc=WEEKS[3], present=[fac])
        services.occurrences_extend(now=WEEKS[3])
        if i == 0:  # someone who said they'd come, and someone who opted out
            services.prefs_set(user=members[0], group=group, nudges=False)


@pytest.mark.parametrize("groups,n", [(1, 3), (4, 12)])
def test_nudge_job_constant_queries(
    groups, n, db, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    """However many groups, meetups and members: the same queries (no per-meetup or
    per-member work), one bulk insert of notifications, one after-commit callback for every
    bell push and one for the emails (queued in batches, not per member)."""
    _many_groups_world(groups, n)
    now = dt.datetime(2026, 1, 28, 10, 0, tzinfo=UTC)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(NUDGE_QUERIES[connection.vendor]),
    ):
        result = services.nudges_send(now=now)
    assert result.sent == groups * n - 1  # one member opted out
    assert result.suggestions == groups
    assert Notification.objects.filter(kind="missed_you").count() == groups * n - 1
    assert Notification.objects.filter(kind="facilitator").count() == groups
    assert len(callbacks) == 2  # bell pushes, emails


@pytest.mark.parametrize("groups,n", [(1, 3), (3, 15)])
def test_reminder_job_constant_queries(groups, n, db, django_assert_num_queries):
    starts = []
    for _ in range(groups):
        group = GroupFactory(time_zone="Europe/London")
        fac = MembershipFactory(group=group, role="facilitator").user
        members = make_members(group, n)
        held(group, fac, start_utc=WEEKS[0], present=members)
        held(group, fac, start_utc=WEEKS[1], present=members)
        occ = services.one_off_create(
            group=group, by=fac, title="W", on=WEEKS[2].date(), start_time=dt.time(19, 0),
            place=services.Place(venue_name="Hub"), allow_past=True,
        )  # fmt: skip
        starts.append(occ.starts_at)
    with django_assert_num_queries(REMINDER_QUERIES[connection.vendor]):
        assert services.reminders_send(now=starts[0] - dt.timedelta(hours=5)).sent == groups * n


def test_bell_pushes_and_emails_are_batched(
    db, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    """One push call for everyone, and one email task per EMAIL_BATCH notifications."""
    from notifications import services as note_services

    pushed, queued = [], []
    monkeypatch.setattr(note_services, "push_to_users", lambda events: pushed.append(events))
    monkeypatch.setattr(note_services, "EMAIL_BATCH", 4)
    from notifications import tasks as note_tasks

    monkeypatch.setattr(
        note_tasks, "send_notification_emails", lambda ids: queued.append(list(ids))
    )
    _many_groups_world(2, 5)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.nudges_send(now=dt.datetime(2026, 1, 28, 10, 0, tzinfo=UTC))
    sent = result.sent + 2  # plus a suggestion to each group's facilitator
    assert len(pushed) == 1 and len(pushed[0]) == sent
    assert [len(q) for q in queued] == [4, 4, 3]


# --- exactly once ---------------------------------------------------------------------------


def test_nudge_job_twice_sends_once(london_group, fac):
    occ, members = _nudge_world(london_group, fac, 5)
    now = dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    assert services.nudges_send(now=now).sent == 5
    assert services.nudges_send(now=now).sent == 0
    assert services.nudges_send(now=now + dt.timedelta(hours=1)).sent == 0
    assert Notification.objects.filter(kind="missed_you").count() == 5
    assert Delivery.objects.filter(kind="nudge").count() == 5


def _twice_at_once(job):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            results.append(job().sent)
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_consumers_at_once_send_once(london_group, fac):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    occ, members = _nudge_world(london_group, fac, 30)
    now = dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    results = _twice_at_once(lambda: services.nudges_send(now=now))
    assert sum(results) == 30
    assert Notification.objects.filter(kind="missed_you").count() == 30
    for m in members:
        assert Notification.objects.filter(kind="missed_you", user=m).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reminder_consumers_at_once_send_once(london_group, fac):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    members = make_members(london_group, 20)
    occ = services.one_off_create(
        group=london_group, by=fac, title="W", on=WEEKS[2].date(), start_time=dt.time(19, 0),
        place=services.Place(venue_name="Hub"), allow_past=True,
    )  # fmt: skip
    for m in members:
        services.rsvp_set(occurrence=occ, user=m, answer="going", now=WEEKS[1])
    now = occ.starts_at - dt.timedelta(hours=5)
    results = _twice_at_once(lambda: services.reminders_send(now=now))
    assert sum(results) == 20
    assert Delivery.objects.filter(kind="reminder_24h").count() == 20
    for m in members:
        assert Notification.objects.filter(kind="meetup_reminder", user=m).count() == 1

"""Meetup pages: permissions, the register (JS and plain form), check-in, constant queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetups import services
from meetups.models import Attendance, MeetupSeries, Occurrence, Rsvp
from tests.factories import GroupFactory, MembershipFactory

from .conftest import held, make_members

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def series(london_group, fac, clock):
    return services.series_create(
        group=london_group, by=fac, title="Tuesday evening chat", first_date=dt.date(2026, 3, 3),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"),
    )  # fmt: skip


def url(name, group, occ=None):
    kwargs = {"slug": group.slug}
    if occ is not None:
        kwargs["pk"] = occ.pk
    return reverse(f"meetups:{name}", kwargs=kwargs)


def test_facilitator_creates_series_through_the_form(client, london_group, fac, clock):
    client.force_login(fac)
    data = {
        "title": "Tuesday evening chat", "first_date": "2026-03-03", "start_time": "19:00",
        "duration_minutes": "90", "repeat": "1", "venue_name": "Family Hub",
        "venue_address": "1 High St", "accessibility_notes": "Step-free", "reminders_24h": "on",
    }  # fmt: skip
    resp = client.post(url("new", london_group), data)
    assert resp.status_code == 302
    series = MeetupSeries.objects.get()
    assert series.reminders_24h and not series.reminders_2h
    assert series.occurrences.count() >= 8


@pytest.mark.parametrize(
    "change, message",
    [
        ({"first_date": "2026-02-01"}, "That date has passed"),
        ({"capacity": "0"}, "Places must be at least 1"),
        ({"duration_minutes": "-5"}, "needs to end after it starts"),
        ({"ends_on": "2026-03-02"}, "can&#x27;t be before the first one"),
        ({"venue_name": ""}, "Please say where"),
    ],
)
def test_series_form_bad_input_keeps_what_was_typed(
    client, london_group, fac, clock, change, message
):
    client.force_login(fac)
    data = {
        "title": "My lovely group", "first_date": "2026-03-03", "start_time": "19:00",
        "duration_minutes": "90", "repeat": "1", "venue_name": "Family Hub",
    }  # fmt: skip
    data.update(change)
    resp = client.post(url("new", london_group), data)
    assert resp.status_code == 200
    assert message in resp.content.decode()
    assert "My lovely group" in resp.content.decode()
    assert not MeetupSeries.objects.exists() and not Occurrence.objects.exists()


def test_members_cannot_schedule_or_take_register(client, london_group, member, series):
    client.force_login(member)
    occ = series.occurrences.first()
    resp = client.get(url("register", london_group, occ))
    assert resp.status_code == 403
    assert "Only the group&#x27;s facilitators can take the register." in resp.content.decode()
    resp = client.post(url("register_tick", london_group, occ), {"user": member.pk, "present": "1"})
    assert resp.status_code == 403
    assert not Attendance.objects.exists()
    assert client.get(url("new", london_group)).status_code == 403
    assert client.get(url("attendance", london_group)).status_code == 403


def test_other_groups_meetups_are_invisible(client, london_group, series):
    outsider_group = GroupFactory(visibility="unlisted")
    stranger = MembershipFactory(group=outsider_group).user
    client.force_login(stranger)
    occ = series.occurrences.first()
    assert client.get(url("occurrence", london_group, occ)).status_code == 403
    # an occurrence id from another group under my group's slug: not found
    assert client.get(url("occurrence", outsider_group, occ)).status_code == 404
    client.logout()
    assert client.get(url("list", london_group)).status_code == 302  # log in first


def test_member_rsvps_and_sees_it(client, london_group, member, series):
    client.force_login(member)
    occ = series.occurrences.first()
    resp = client.post(url("rsvp", london_group, occ), {"answer": "no", "message": "Poorly child"})
    assert resp.status_code == 302
    assert Rsvp.objects.get(user=member).message == "Poorly child"
    page = client.get(url("occurrence", london_group, occ)).content.decode()
    assert "Can&#x27;t make it" in page
    resp = client.post(
        url("rsvp", london_group, occ), {"answer": "going", "next": "https://evil.example/"}
    )
    assert resp["Location"] == url("occurrence", london_group, occ)


def test_register_tick_json_and_plain_form(client, london_group, fac, series, clock):
    a, b = make_members(london_group, 2)
    occ = series.occurrences.first()
    client.force_login(fac)
    # before the meetup: refused kindly, nothing saved
    resp = client.post(url("register_tick", london_group, occ), {"user": a.pk, "present": "1"},
                       HTTP_ACCEPT="application/json")  # fmt: skip
    assert resp.status_code == 409 and "opens an hour before" in resp.json()["error"]
    clock.move_to(occ.starts_at + dt.timedelta(minutes=5))
    for _ in range(2):  # idempotent
        resp = client.post(url("register_tick", london_group, occ), {"user": a.pk, "present": "1"},
                           HTTP_ACCEPT="application/json")  # fmt: skip
        assert resp.json() == {"ok": True, "user": a.pk, "present": True}
    assert Attendance.objects.filter(occurrence=occ).count() == 1
    # the plain form (no JavaScript): exactly b is present now
    client.post(url("register", london_group, occ), {"present": [str(b.pk)]})
    assert set(Attendance.objects.values_list("user_id", flat=True)) == {b.pk}
    client.post(url("walk_in", london_group, occ), {"name": "Jo"})
    page = client.get(url("register", london_group, occ)).content.decode()
    assert "Jo" in page and occ.checkin_code in page
    client.post(url("register_close", london_group, occ))
    resp = client.post(url("register_tick", london_group, occ), {"user": a.pk, "present": "1"})
    assert resp.status_code == 409 and "closed" in resp.json()["error"]


def test_self_check_in(client, london_group, member, series, clock):
    occ = series.occurrences.first()
    client.force_login(member)
    client.post(url("checkin", london_group, occ), {"code": occ.checkin_code})
    assert not Attendance.objects.exists()  # too early
    clock.move_to(occ.starts_at + dt.timedelta(minutes=10))
    resp = client.post(url("checkin", london_group, occ), {"code": "ZZZZ"}, follow=True)
    assert "doesn&#x27;t match" in resp.content.decode()
    assert not Attendance.objects.exists()
    client.post(url("checkin", london_group, occ), {"code": occ.checkin_code.lower()})
    assert Attendance.objects.get().source == "self_checkin"
    clock.move_to(occ.ends_at + dt.timedelta(hours=1))
    with pytest.raises(Exception, match="opens half an hour"):
        services.self_check_in(occurrence=occ, user=member, code=occ.checkin_code)


def test_facilitator_cancels_one_week(client, london_group, fac, series):
    occ = series.occurrences.all()[1]
    client.force_login(fac)
    client.post(url("change", london_group, occ), {"what": "cancel", "reason": "Hall closed"})
    occ.refresh_from_db()
    assert occ.is_cancelled
    assert series.occurrences.filter(status="cancelled").count() == 1
    assert "Hall closed" in client.get(url("list", london_group)).content.decode()


def test_missed_page_reply(client, london_group, fac, member):
    occ = held(london_group, fac, start_utc=dt.datetime(2026, 1, 6, 19, tzinfo=UTC), present=[fac])
    client.force_login(member)
    page = client.get(url("missed", london_group, occ) + "?answer=ok").content.decode()
    assert "OK, see you next time" in page
    resp = client.post(url("missed", london_group, occ), {"answer": "contact"})
    assert "someone will be in touch" in resp.content.decode()


def test_next_meetup_card_on_group_page(rf, london_group, member, series):
    from django.template import Context, Template

    occ = series.occurrences.first()
    services.rsvp_set(occurrence=occ, user=member, answer="maybe")
    request = rf.get("/")
    request.user = member
    html = Template("{% load meetups_tags %}{% next_meetup_card group %}").render(
        Context({"request": request, "group": london_group})
    )
    assert "Tuesday 3 March" in html and "Not sure" in html and 'value="going"' in html
    request.user = GroupFactory and MembershipFactory(group=GroupFactory()).user
    html = Template("{% load meetups_tags %}{% next_meetup_card group %}").render(
        Context({"request": request, "group": london_group})
    )
    assert html.strip() == ""


# --- constant query counts ------------------------------------------------------------------


def count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path)
    assert resp.status_code == 200
    return len(ctx)


def test_list_page_constant_queries(client, london_group, fac, series):
    client.force_login(fac)
    small = count_queries(client, url("list", london_group))
    for m in make_members(london_group, 25):
        for occ in series.occurrences.all()[:4]:
            services.rsvp_set(occurrence=occ, user=m, answer="going")
    assert count_queries(client, url("list", london_group)) == small


def test_occurrence_and_register_pages_constant_queries(client, london_group, fac, series, clock):
    occ = series.occurrences.first()
    clock.move_to(occ.starts_at + dt.timedelta(minutes=5))
    client.force_login(fac)
    few = make_members(london_group, 2)
    services.attendance_mark(occurrence=occ, user_ids=[few[0].pk], by=fac)
    small_page = count_queries(client, url("occurrence", london_group, occ))
    small_register = count_queries(client, url("register", london_group, occ))
    many = make_members(london_group, 28)  # a register of 30
    services.attendance_mark(occurrence=occ, user_ids=[m.pk for m in many[:20]], by=fac)
    for m in many[20:]:
        services.rsvp_set(occurrence=occ, user=m, answer="no", message="Sorry")
    services.walk_in_add(occurrence=occ, name="Jo", by=fac)
    assert count_queries(client, url("occurrence", london_group, occ)) == small_page
    assert count_queries(client, url("register", london_group, occ)) == small_register
    page = client.get(url("register", london_group, occ)).content.decode()
    assert page.count('name="present"') == 31  # 30 members + the facilitator


def test_attendance_grid_50_by_12_constant_queries(client, london_group, fac):
    client.force_login(fac)
    members = make_members(london_group, 5)
    start = dt.datetime(2026, 1, 6, 19, tzinfo=UTC)
    for i in range(3):
        held(
            london_group, fac, start_utc=start + dt.timedelta(weeks=i), present=members[: 3 + i % 2]
        )
    with time_machine.travel(start + dt.timedelta(weeks=12)):
        small = count_queries(client, url("attendance", london_group))
        more = make_members(london_group, 45)
        for i in range(3, 12):
            held(london_group, fac, start_utc=start + dt.timedelta(weeks=i), present=more[i:])
        big = count_queries(client, url("attendance", london_group))
        page = client.get(url("attendance", london_group)).content.decode()
    assert big == small
    assert page.count("<tr") == 1 + 51  # header + 50 members + facilitator
    assert "drifting" in page  # members[0..2] came in January, then stopped


def test_series_edit_page_changes_future_weeks(client, london_group, fac, series):
    occs = list(series.occurrences.order_by("starts_at"))
    services.occurrence_set_note(occurrence=occs[1], by=fac, note="Packed lunch")
    client.force_login(fac)
    path = reverse(
        "meetups:series_edit", kwargs={"slug": london_group.slug, "series_pk": series.pk}
    )
    page = client.get(path).content.decode()
    assert "Tuesday evening chat" in page
    data = {
        "title": "Tuesday evening chat", "start_time": "18:30", "duration_minutes": "90",
        "venue_name": "Library", "reminders_24h": "on", "reminders_2h": "on",
    }  # fmt: skip
    assert client.post(path, data).status_code == 302
    fresh = {o.pk: o for o in Occurrence.objects.filter(series=series)}
    assert fresh[occs[0].pk].venue_name == "Library"
    assert fresh[occs[1].pk].venue_name == "Family Hub"  # changed by hand: kept
    bad = client.post(path, {**data, "capacity": "0"})
    assert "Places must be at least 1" in bad.content.decode()

"""iCalendar feeds: parse with icalendar, expand the RRULE with dateutil (honouring EXDATE and
RECURRENCE-ID), and compare with the app's own occurrences across a DST change."""

import datetime as dt

import icalendar
import pytest
import time_machine
from dateutil.rrule import rrulestr
from django.urls import reverse

from meetups import ical, services
from meetups.models import Occurrence

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def expand(cal: icalendar.Calendar, until: dt.datetime) -> dict[str, list[dt.datetime]]:
    """Every instance (UTC start) per UID, up to `until`, as a calendar app would show it."""
    masters, overrides, singles = {}, {}, {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev["uid"])
        if "recurrence-id" in ev:
            overrides.setdefault(uid, {})[ev["recurrence-id"].dt.astimezone(UTC)] = ev
        elif "rrule" in ev:
            masters[uid] = ev
        else:
            singles[uid] = ev
    out: dict[str, list[dt.datetime]] = {}
    for uid, ev in masters.items():
        start = ev["dtstart"].dt
        rule = rrulestr(ev["rrule"].to_ical().decode(), dtstart=start)
        exdates = set()
        ex = ev.get("exdate")
        for group in ex if isinstance(ex, list) else ([ex] if ex else []):
            exdates |= {d.dt.astimezone(UTC) for d in group.dts}
        instances = []
        for when in rule.between(start - dt.timedelta(seconds=1), until, inc=True):
            key = when.astimezone(UTC)
            if key in exdates:
                continue
            moved = overrides.get(uid, {}).get(key)
            instances.append(moved["dtstart"].dt.astimezone(UTC) if moved else key)
        out[uid] = sorted(instances)
    for uid, ev in singles.items():
        out[uid] = [ev["dtstart"].dt.astimezone(UTC)]
    return out


@pytest.fixture
def world(london_group, fac):
    with time_machine.travel(NOW, tick=False):
        series = services.series_create(
            group=london_group, by=fac, title="Tuesday evening chat",
            first_date=dt.date(2026, 3, 3), start_time=dt.time(19, 0),
            place=services.Place(venue_name="Family Hub", venue_address="1 High St"),
        )  # fmt: skip
        occs = list(series.occurrences.order_by("starts_at"))
        services.occurrence_cancel(occurrence=occs[2], by=fac, reason="Half term")
        services.occurrence_move(
            occurrence=occs[4], by=fac, on=dt.date(2026, 4, 1), start_time=dt.time(10, 30)
        )  # the first week in BST, moved to Wednesday morning
        services.occurrence_set_note(occurrence=occs[5], by=fac, note="Bring a packed lunch")
        one_off = services.one_off_create(
            group=london_group, by=fac, title="Summer picnic", on=dt.date(2026, 4, 18),
            start_time=dt.time(12, 0), place=services.Place(venue_name="The park"),
        )  # fmt: skip
    return series, occs, one_off


def test_group_feed_round_trip_across_dst(world, london_group):
    series, occs, one_off = world
    body = ical.group_feed(
        london_group, list(Occurrence.objects.filter(group=london_group).select_related("series")),
        stamp=NOW,
    )  # fmt: skip
    cal = icalendar.Calendar.from_ical(body)
    assert cal["version"] == "2.0"
    tzs = cal.walk("VTIMEZONE")
    assert [str(tz["tzid"]) for tz in tzs] == ["Europe/London"]
    last = max(o.starts_at for o in Occurrence.objects.filter(series=series))
    expanded = expand(cal, until=last)
    app = sorted(o.starts_at for o in Occurrence.objects.filter(series=series, status="scheduled"))
    assert expanded[f"series-{series.pk}@village"] == app
    # spot checks: 19:00 GMT before the change, 18:00 UTC (= 19:00 BST) after it
    assert dt.datetime(2026, 3, 24, 19, 0, tzinfo=UTC) in app
    assert dt.datetime(2026, 4, 7, 18, 0, tzinfo=UTC) in app
    assert dt.datetime(2026, 4, 1, 9, 30, tzinfo=UTC) in app  # moved: 10:30 BST
    assert occs[2].starts_at not in app  # cancelled
    assert expanded[f"meetup-{one_off.pk}@village"] == [one_off.starts_at]
    notes = [
        ev for ev in cal.walk("VEVENT") if "Bring a packed lunch" in str(ev.get("description"))
    ]
    assert len(notes) == 1 and "recurrence-id" in notes[0]


def test_autumn_change_round_trip(london_group, fac):
    now = dt.datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    series = services.series_create(
        group=london_group, by=fac, title="Evening", first_date=dt.date(2026, 10, 6),
        start_time=dt.time(19, 0), place=services.Place(online_url="https://meet.example/x"),
        ends_on=dt.date(2026, 11, 10), now=now,
    )  # fmt: skip
    body = ical.group_feed(
        london_group, list(series.occurrences.select_related("series")), stamp=now
    )
    cal = icalendar.Calendar.from_ical(body)
    expanded = expand(cal, until=dt.datetime(2027, 1, 1, tzinfo=UTC))
    app = sorted(series.occurrences.values_list("starts_at", flat=True))
    assert expanded[f"series-{series.pk}@village"] == app  # UNTIL honoured: ends 10 November
    assert dt.datetime(2026, 10, 20, 18, 0, tzinfo=UTC) in app
    assert dt.datetime(2026, 10, 27, 19, 0, tzinfo=UTC) in app


def test_feed_views(client, world, london_group, fac, member):
    series, occs, one_off = world
    client.force_login(member)
    resp = client.get(reverse("meetups:group_feed", kwargs={"slug": london_group.slug}))
    assert resp["Content-Type"].startswith("text/calendar")
    icalendar.Calendar.from_ical(resp.content)
    one = client.get(
        reverse("meetups:occurrence_ics", kwargs={"slug": london_group.slug, "pk": occs[1].pk})
    )
    [ev] = icalendar.Calendar.from_ical(one.content).walk("VEVENT")
    assert ev["dtstart"].dt.astimezone(UTC) == occs[1].starts_at
    # the private feed: only meetups I'm going to; a new link revokes the old one
    with time_machine.travel(NOW, tick=False):
        services.rsvp_set(occurrence=occs[1], user=member, answer="going")
        services.rsvp_set(occurrence=occs[3], user=member, answer="no")
    feed = services.calendar_feed_for(user=member)
    client.logout()
    with time_machine.travel(NOW, tick=False):
        resp = client.get(reverse("meetups_site:member_feed", args=[feed.token]))
    events = icalendar.Calendar.from_ical(resp.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"meetup-{occs[1].pk}@village"]
    fresh = services.calendar_feed_for(user=member, renew=True)
    assert client.get(reverse("meetups_site:member_feed", args=[feed.token])).status_code == 404
    assert client.get(reverse("meetups_site:member_feed", args=[fresh.token])).status_code == 200

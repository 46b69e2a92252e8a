"""iCalendar (RFC 5545) feeds: the group's series as RRULEs with their exceptions, a member's
own "going" feed, and one meetup for "add to calendar"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import icalendar

from core.urls import absolute

from .models import MeetupSeries, Occurrence

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
PRODID = "-//Village//Meetups//EN"


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _location(obj) -> str:
    parts = [p for p in (obj.venue_name, obj.venue_address) if p]
    if not parts and obj.online_url:
        return obj.online_url
    return ", ".join(parts)


def _describe(obj, url: str, note: str = "") -> str:
    lines = []
    if note:
        lines.append(note)
    if obj.accessibility_notes:
        lines.append(f"Access: {obj.accessibility_notes}")
    if obj.online_url:
        lines.append(f"Join online: {obj.online_url}")
    lines.append(url)
    return "\n".join(lines)


def _url(occ_or_group_slug: str, pk: int | None = None) -> str:
    path = f"/groups/{occ_or_group_slug}/meetups/" + (f"{pk}/" if pk else "")
    return absolute(path)


def series_first_start(series: MeetupSeries) -> datetime:
    first: date = series.starts_on + timedelta(
        days=(series.weekday - series.starts_on.weekday()) % 7
    )
    return datetime.combine(first, series.start_time, tzinfo=series.tz)


def _series_event(series: MeetupSeries, occurrences: list[Occurrence], slug: str, stamp: datetime):
    ev = icalendar.Event()
    start = series_first_start(series)
    ev.add("uid", f"series-{series.pk}@village")
    ev.add("dtstamp", stamp)
    ev.add("summary", series.title)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=series.duration_minutes))
    rule = {"freq": "weekly", "interval": series.interval_weeks, "byday": DAYS[series.weekday]}
    if series.ends_on:
        last = datetime.combine(series.ends_on, time(23, 59, 59), tzinfo=series.tz)
        rule["until"] = last.astimezone(UTC)
    ev.add("rrule", rule)
    location = _location(series)
    if location:
        ev.add("location", location)
    ev.add("description", _describe(series, _url(slug)))
    ev.add("url", _url(slug))
    cancelled = [
        o.original_starts_at.astimezone(series.tz)
        for o in occurrences
        if o.is_cancelled and o.original_starts_at
    ]
    if cancelled:
        ev.add("exdate", cancelled)
    return ev


def _differs_from_series(occ: Occurrence, series: MeetupSeries) -> bool:
    return bool(
        occ.moved
        or occ.note
        or occ.starts_at != occ.original_starts_at
        or occ.ends_at - occ.starts_at != timedelta(minutes=series.duration_minutes)
        or (occ.venue_name, occ.venue_address, occ.online_url, occ.title)
        != (series.venue_name, series.venue_address, series.online_url, series.title)
    )


def occurrence_event(occ: Occurrence, slug: str, stamp: datetime, *, as_exception: bool = False):
    ev = icalendar.Event()
    tz = occ.tz
    if as_exception and occ.series_id:
        ev.add("uid", f"series-{occ.series_id}@village")
        ev.add("recurrence-id", occ.original_starts_at.astimezone(tz))
    else:
        ev.add("uid", f"meetup-{occ.pk}@village")
    ev.add("dtstamp", stamp)
    ev.add("summary", occ.title)
    ev.add("dtstart", occ.starts_at.astimezone(tz))
    ev.add("dtend", occ.ends_at.astimezone(tz))
    if occ.is_cancelled:
        ev.add("status", "CANCELLED")
    location = _location(occ)
    if location:
        ev.add("location", location)
    ev.add("description", _describe(occ, _url(slug, occ.pk), occ.note))
    ev.add("url", _url(slug, occ.pk))
    return ev


def group_feed(group, occurrences: list[Occurrence], *, stamp: datetime) -> bytes:
    cal = _calendar(f"{group.name} meetups")
    by_series: dict[int, list[Occurrence]] = {}
    series_objs: dict[int, MeetupSeries] = {}
    for occ in occurrences:
        if occ.series_id:
            by_series.setdefault(occ.series_id, []).append(occ)
            series_objs[occ.series_id] = occ.series
        else:
            cal.add_component(occurrence_event(occ, group.slug, stamp))
    for sid, occs in by_series.items():
        series = series_objs[sid]
        cal.add_component(_series_event(series, occs, group.slug, stamp))
        for occ in occs:
            if not occ.is_cancelled and _differs_from_series(occ, series):
                cal.add_component(occurrence_event(occ, group.slug, stamp, as_exception=True))
    cal.add_missing_timezones()
    return cal.to_ical()


def single_feed(occurrences: list[Occurrence], *, name: str, stamp: datetime) -> bytes:
    """Standalone events (a member's own feed, or one meetup to add to a calendar)."""
    cal = _calendar(name)
    for occ in occurrences:
        ev = occurrence_event(occ, occ.group.slug, stamp)
        ev["summary"] = f"{occ.title} ({occ.group.name})"
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()

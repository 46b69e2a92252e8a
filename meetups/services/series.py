"""Scheduling: repeating series, their occurrences for the coming weeks, one-off meetups, and
changes to one meetup (cancel, move, a note), told to the people going."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import is_blank
from groups.models import Group
from notifications.models import Kind

from .. import text
from ..models import MeetupSeries, Occurrence
from .common import _lock, _notify_in_their_zones, _people_to_tell, occurrence_url

WEEKS_AHEAD = 8


def local_to_utc(day: date, at: time, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time. In the spring gap (a time that does not
    exist) zoneinfo moves it forward by the gap, which is what people expect."""
    local = datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(time_zone))
    return local.astimezone(UTC)


@dataclass
class Place:
    venue_name: str = ""
    venue_address: str = ""
    accessibility_notes: str = ""
    online_url: str = ""


def _validate_schedule(
    *,
    title: str,
    first_date: date,
    start_time: time,
    duration_minutes: int,
    time_zone: str,
    capacity: int | None,
    ends_on: date | None,
    interval_weeks: int,
    now: datetime,
    allow_past: bool,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    if is_blank(title):
        errors["title"].append(_("Please give the meetup a name, such as “Tuesday evening chat”."))
    try:
        zoneinfo.ZoneInfo(time_zone)
        known_zone = time_zone in zoneinfo.available_timezones()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known_zone = False
    if not known_zone:
        errors["time_zone"].append(_("We don't recognise that time zone."))
    if duration_minutes is None or duration_minutes <= 0:
        errors["duration_minutes"].append(_("The meetup needs to end after it starts."))
    elif duration_minutes > 24 * 60:
        errors["duration_minutes"].append(_("A meetup can last at most a day."))
    if capacity is not None and capacity <= 0:
        errors["capacity"].append(
            _("Places must be at least 1. Leave it empty if there's no limit.")
        )
    if interval_weeks is None or not 1 <= interval_weeks <= 8:
        errors["interval_weeks"].append(_("Choose every 1 to 8 weeks."))
    if ends_on is not None and ends_on < first_date:
        errors["ends_on"].append(_("The last meetup can't be before the first one."))
    if known_zone and not allow_past and local_to_utc(first_date, start_time, time_zone) <= now:
        errors["first_date"].append(_("That date has passed. Please pick a day from today on."))
    return errors


@transaction.atomic
def series_create(
    *,
    group: Group,
    by,
    title: str,
    first_date: date,
    start_time: time,
    duration_minutes: int = 90,
    interval_weeks: int = 1,
    ends_on: date | None = None,
    time_zone: str | None = None,
    place: Place | None = None,
    capacity: int | None = None,
    reminders_24h: bool = True,
    reminders_2h: bool = True,
    now: datetime | None = None,
    allow_past: bool = False,
) -> MeetupSeries:
    """Schedule a repeating meetup and create its occurrences for the coming weeks.

    Raises ValidationError (a dict of kind messages per field); nothing is saved then.
    `allow_past` is for demo data and tests that need history."""
    now = now or timezone.now()
    time_zone = time_zone or group.time_zone or "Europe/London"
    place = place or Place()
    errors = _validate_schedule(
        title=title, first_date=first_date, start_time=start_time,
        duration_minutes=duration_minutes, time_zone=time_zone, capacity=capacity,
        ends_on=ends_on, interval_weeks=interval_weeks, now=now, allow_past=allow_past,
    )  # fmt: skip
    if errors:
        raise ValidationError(dict(errors))
    series = MeetupSeries.objects.create(
        group=group,
        title=title.strip(),
        weekday=first_date.weekday(),
        start_time=start_time,
        duration_minutes=duration_minutes,
        interval_weeks=interval_weeks,
        starts_on=first_date,
        ends_on=ends_on,
        time_zone=time_zone,
        capacity=capacity,
        reminders_24h=reminders_24h,
        reminders_2h=reminders_2h,
        created_by=by,
        **place.__dict__,
    )
    occurrences_extend(now=now, series_ids=[series.pk], include_past=allow_past)
    return series


@transaction.atomic
def one_off_create(
    *,
    group: Group,
    by,
    title: str,
    on: date,
    start_time: time,
    duration_minutes: int = 90,
    time_zone: str | None = None,
    place: Place | None = None,
    capacity: int | None = None,
    note: str = "",
    now: datetime | None = None,
    allow_past: bool = False,
) -> Occurrence:
    now = now or timezone.now()
    time_zone = time_zone or group.time_zone or "Europe/London"
    errors = _validate_schedule(
        title=title, first_date=on, start_time=start_time, duration_minutes=duration_minutes,
        time_zone=time_zone, capacity=capacity, ends_on=None, interval_weeks=1, now=now,
        allow_past=allow_past,
    )  # fmt: skip
    if errors:
        raise ValidationError(dict(errors))
    starts_at = local_to_utc(on, start_time, time_zone)
    return Occurrence.objects.create(
        group=group,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=duration_minutes),
        time_zone=time_zone,
        capacity=capacity,
        note=note,
        **(place or Place()).__dict__,
    )


def series_slots(series: MeetupSeries, *, until: date, since: date | None = None) -> list[date]:
    """The local dates of a series from `since` (or its start) up to `until`, inclusive."""
    last = min(until, series.ends_on) if series.ends_on else until
    day = series.starts_on + timedelta(days=(series.weekday - series.starts_on.weekday()) % 7)
    step = timedelta(weeks=series.interval_weeks)
    if since and since > day:
        skip = (since - day).days // step.days
        day += step * skip
    slots = []
    while day <= last:
        if since is None or day >= since:
            slots.append(day)
        day += step
    return slots


def _occurrence_for_slot(series: MeetupSeries, day: date) -> Occurrence:
    starts_at = local_to_utc(day, series.start_time, series.time_zone)
    return Occurrence(
        series=series,
        group_id=series.group_id,
        title=series.title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=series.duration_minutes),
        original_starts_at=starts_at,
        time_zone=series.time_zone,
        venue_name=series.venue_name,
        venue_address=series.venue_address,
        accessibility_notes=series.accessibility_notes,
        online_url=series.online_url,
        capacity=series.capacity,
    )


def occurrences_extend(
    *,
    now: datetime | None = None,
    weeks_ahead: int = WEEKS_AHEAD,
    series_ids: list[int] | None = None,
    include_past: bool = False,
) -> int:
    """Make sure every running series has real occurrences for the coming weeks, counted from
    today or, for a series that hasn't started yet, from its first meetup (so a series planned
    months ahead has its meetups at once). Idempotent: slots that exist are skipped by the
    unique constraint. Two queries plus the insert."""
    now = now or timezone.now()
    today = now.date()
    ahead = timedelta(weeks=weeks_ahead)
    qs = MeetupSeries.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today - timedelta(days=1))
    )
    if series_ids is not None:
        qs = qs.filter(pk__in=series_ids)
    rows = []
    for series in qs:
        since = None if include_past else today - timedelta(days=1)
        until = max(today, series.starts_on) + ahead
        for day in series_slots(series, until=until, since=since):
            occ = _occurrence_for_slot(series, day)
            if include_past or occ.starts_at > now:
                rows.append(occ)
    if not rows:
        return 0
    before = Occurrence.objects.filter(series__in=qs).count()
    Occurrence.objects.bulk_create(rows, ignore_conflicts=True)
    return Occurrence.objects.filter(series__in=qs).count() - before


SERIES_EDITABLE = {
    "title", "start_time", "duration_minutes", "ends_on", "venue_name", "venue_address",
    "accessibility_notes", "online_url", "capacity", "reminders_24h", "reminders_2h",
}  # fmt: skip


@transaction.atomic
def series_update(*, series: MeetupSeries, by, now: datetime | None = None, **changes) -> int:
    """Change a series; future occurrences nobody changed by hand follow, others keep their own
    time, place and note. Returns how many occurrences changed."""
    now = now or timezone.now()
    unknown = set(changes) - SERIES_EDITABLE
    if unknown:
        raise ValidationError(
            _("To change the day or how often it meets, end this series and start a new one.")
        )
    for key, value in changes.items():
        setattr(series, key, value)
    errors = _validate_schedule(
        title=series.title, first_date=series.starts_on, start_time=series.start_time,
        duration_minutes=series.duration_minutes, time_zone=series.time_zone,
        capacity=series.capacity, ends_on=series.ends_on, interval_weeks=series.interval_weeks,
        now=now, allow_past=True,
    )  # fmt: skip
    if errors:
        raise ValidationError(dict(errors))
    series.save()
    future = list(
        series.occurrences.filter(
            starts_at__gt=now, modified=False, moved=False
        ).select_for_update()
    )
    changed = []
    ended = []
    for occ in future:
        local_day = occ.original_starts_at.astimezone(series.tz).date()
        if series.ends_on and local_day > series.ends_on:
            ended.append(occ.pk)
            continue
        fresh = _occurrence_for_slot(series, local_day)
        for field in (
            "title", "starts_at", "ends_at", "original_starts_at", "venue_name", "venue_address",
            "accessibility_notes", "online_url", "capacity",
        ):  # fmt: skip
            setattr(occ, field, getattr(fresh, field))
        changed.append(occ)
    if changed:
        Occurrence.objects.bulk_update(
            changed,
            ["title", "starts_at", "ends_at", "original_starts_at", "venue_name", "venue_address",
             "accessibility_notes", "online_url", "capacity"],
        )  # fmt: skip
    if ended:
        Occurrence.objects.filter(pk__in=ended).update(
            status=Occurrence.Status.CANCELLED, cancel_reason=_("This series has ended.")
        )
    occurrences_extend(now=now, series_ids=[series.pk])
    return len(changed) + len(ended)

@transaction.atomic
def occurrence_cancel(
    *, occurrence: Occurrence, by, reason: str, now: datetime | None = None
) -> Occurrence:
    now = now or timezone.now()
    occ = _lock(occurrence)
    if occ.is_cancelled:
        return occ
    if occ.ends_at <= now:
        raise ValidationError(_("This meetup has already happened."))
    occ.status = Occurrence.Status.CANCELLED
    occ.cancel_reason = reason.strip()[:300]
    occ.modified = True
    occ.save(update_fields=["status", "cancel_reason", "modified"])

    def words(zone: str) -> tuple[str, str]:
        body = _("%(when)s is cancelled.") % {"when": text.when(occ, zone)}
        if occ.cancel_reason:
            body += "\n" + _("From the facilitator: %(reason)s") % {"reason": occ.cancel_reason}
        return _("%(group)s: this week's meetup is cancelled") % {"group": occ.group.name}, body

    _notify_in_their_zones(
        _people_to_tell(occ),
        words,
        kind=Kind.MEETUP_CHANGE,
        url=occurrence_url(occ),
        group_id=occ.group_id,
    )
    return occ


@transaction.atomic
def occurrence_move(
    *,
    occurrence: Occurrence,
    by,
    on: date,
    start_time: time,
    duration_minutes: int | None = None,
    place: Place | None = None,
    now: datetime | None = None,
) -> Occurrence:
    now = now or timezone.now()
    occ = _lock(occurrence)
    if occ.is_cancelled:
        raise ValidationError(_("This meetup is cancelled. Schedule a new one instead."))
    duration = duration_minutes or int((occ.ends_at - occ.starts_at).total_seconds() // 60)
    errors = _validate_schedule(
        title=occ.title, first_date=on, start_time=start_time, duration_minutes=duration,
        time_zone=occ.time_zone, capacity=None, ends_on=None, interval_weeks=1, now=now,
        allow_past=False,
    )  # fmt: skip
    if errors:
        raise ValidationError(dict(errors))
    occ.starts_at = local_to_utc(on, start_time, occ.time_zone)
    occ.ends_at = occ.starts_at + timedelta(minutes=duration)
    if place is not None:
        for key, value in place.__dict__.items():
            setattr(occ, key, value)
    occ.moved = True
    occ.modified = True
    occ.save()

    def words(zone: str) -> tuple[str, str]:
        lines = [_("It's now on %(when)s.") % {"when": text.when(occ, zone)}]
        lines += text.where_lines(occ)
        return _("%(group)s: a meetup has moved") % {"group": occ.group.name}, "\n".join(lines)

    _notify_in_their_zones(
        _people_to_tell(occ),
        words,
        kind=Kind.MEETUP_CHANGE,
        url=occurrence_url(occ),
        group_id=occ.group_id,
    )
    return occ


@transaction.atomic
def occurrence_set_note(
    *, occurrence: Occurrence, by, note: str, personal_line: str | None = None
) -> Occurrence:
    occ = _lock(occurrence)
    note = note.strip()[:500]
    changed_note = note != occ.note
    occ.note = note
    if personal_line is not None:
        occ.personal_line = personal_line.strip()[:300]
    occ.modified = occ.modified or changed_note
    occ.save(update_fields=["note", "personal_line", "modified"])
    if changed_note and note:
        _notify_in_their_zones(
            _people_to_tell(occ),
            lambda zone: (
                _("%(group)s: a note about %(day)s")
                % {"group": occ.group.name, "day": text.day(text.start(occ, zone))},
                note,
            ),
            kind=Kind.MEETUP_CHANGE,
            url=occurrence_url(occ),
            group_id=occ.group_id,
        )
    return occ

"""Writes for meetups. Views, Huey tasks and commands call these; nothing else writes.

Callers have already asked `groups.permissions` whether the member may act. Every service does
its whole job in one transaction; notifications go through `notifications.services.notify`
(bulk rows, pushes and emails after commit).
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Exists, ExpressionWrapper, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import collapse_spaces, is_blank
from groups.models import Group, Membership
from notifications.models import Kind
from notifications.services import Note, notify, notify_many

from . import rules, text
from .models import (
    Attendance,
    CalendarFeed,
    Delivery,
    GroupCalendarFeed,
    MeetupPrefs,
    MeetupSeries,
    NudgeReply,
    Occurrence,
    Rsvp,
)

WEEKS_AHEAD = 8
AUTO_CLOSE_AFTER = timedelta(hours=3)
CHECKIN_EARLY = timedelta(minutes=30)
CHECKIN_LATE = timedelta(minutes=30)
REGISTER_OPENS_BEFORE = timedelta(hours=1)


def local_to_utc(day: date, at: time, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time. In the spring gap (a time that does not
    exist) zoneinfo moves it forward by the gap, which is what people expect."""
    local = datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(time_zone))
    return local.astimezone(UTC)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- scheduling -----------------------------------------------------------------------------


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


def _people_to_tell(occurrence: Occurrence) -> list[tuple[int, str]]:
    """(member, their time zone) for everyone going or maybe going."""
    return list(
        Rsvp.objects.filter(
            occurrence=occurrence,
            answer__in=[Rsvp.Answer.GOING, Rsvp.Answer.MAYBE],
            user__memberships__group_id=occurrence.group_id,
            user__memberships__status=Membership.Status.ACTIVE,
        ).values_list("user_id", "user__time_zone")
    )


def _notify_in_their_zones(people: list[tuple[int, str]], words, **common) -> None:
    """`notify` each member with times on their own clock: `words(zone)` gives the title and
    body for one time zone (one call per zone among them, not per member)."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for uid, zone in people:
        by_zone[zone].append(uid)
    for zone, uids in sorted(by_zone.items()):
        title, body = words(zone)
        notify(user_ids=uids, title=title, body=body, **common)


def occurrence_url(occurrence: Occurrence, name: str = "occurrence") -> str:
    slug = occurrence.group.slug
    return reverse(f"meetups:{name}", kwargs={"slug": slug, "pk": occurrence.pk})


def _lock(occurrence: Occurrence) -> Occurrence:
    return Occurrence.objects.select_for_update().select_related("group").get(pk=occurrence.pk)


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


# --- RSVPs and the waiting list ---------------------------------------------------------


def going_count(occurrence: Occurrence) -> int:
    return Rsvp.objects.filter(
        occurrence=occurrence, answer=Rsvp.Answer.GOING, waitlist_position__isnull=True
    ).count()


@transaction.atomic
def rsvp_set(
    *, occurrence: Occurrence, user, answer: str, message: str = "", now: datetime | None = None
) -> Rsvp:
    """Going / not sure / can't make it. With a capacity, "going" beyond it joins the waiting
    list; when a place frees up the first person waiting is promoted and told."""
    now = now or timezone.now()
    if answer not in Rsvp.Answer.values:
        raise ValidationError(_("Please choose going, not sure or can't make it."))
    occ = _lock(occurrence)  # serialises places and the waiting list
    if occ.is_cancelled:
        raise ValidationError(_("This meetup is cancelled, so there's nothing to answer."))
    if occ.ends_at <= now:
        raise ValidationError(_("This meetup has already happened."))
    rsvp = Rsvp.objects.filter(occurrence=occ, user=user).first()
    was_holding_place = bool(rsvp and rsvp.answer == Rsvp.Answer.GOING and not rsvp.waitlisted)
    if rsvp is None:
        rsvp = Rsvp(occurrence=occ, user=user)
    rsvp.answer = answer
    rsvp.message = message.strip()[:300]
    rsvp.updated_at = now
    if answer == Rsvp.Answer.GOING:
        full = occ.capacity is not None and going_count(occ) >= occ.capacity
        if not was_holding_place and not rsvp.waitlisted and full:
            last = Rsvp.objects.filter(occurrence=occ).aggregate(m=Max("waitlist_position"))["m"]
            rsvp.waitlist_position = (last or 0) + 1
    else:
        rsvp.waitlist_position = None
    rsvp.save()
    if was_holding_place and answer != Rsvp.Answer.GOING:
        _promote_from_waitlist(occ)
    return rsvp


def _promote_from_waitlist(occ: Occurrence) -> None:
    if occ.capacity is None:
        return
    free = occ.capacity - going_count(occ)
    if free <= 0:
        return
    lucky = list(
        Rsvp.objects.filter(occurrence=occ, waitlist_position__isnull=False)
        .order_by("waitlist_position")
        .values_list("pk", "user_id", "user__time_zone")[:free]
    )
    if not lucky:
        return
    Rsvp.objects.filter(pk__in=[pk for pk, _uid, _tz in lucky]).update(waitlist_position=None)
    _notify_in_their_zones(
        [(uid, tz) for _pk, uid, tz in lucky],
        lambda zone: (
            _("Good news: a place opened up at %(group)s") % {"group": occ.group.name},
            _("You're now going on %(when)s. If you can't make it after all, please let us know.")
            % {"when": text.when(occ, zone)},
        ),
        kind=Kind.WAITLIST,
        url=occurrence_url(occ),
        group_id=occ.group_id,
    )


# --- register and check-in ---------------------------------------------------------------


def _check_register_open(occ: Occurrence, now: datetime) -> None:
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if occ.register_closed:
        raise ValidationError(_("This register is closed."))
    if now < occ.starts_at - REGISTER_OPENS_BEFORE:
        raise ValidationError(_("The register opens an hour before the meetup."))


def _active_member_ids(group_id: int, user_ids) -> set[int]:
    return set(
        Membership.objects.active()
        .filter(group_id=group_id, user_id__in=list(user_ids))
        .values_list("user_id", flat=True)
    )


@transaction.atomic
def attendance_mark(*, occurrence: Occurrence, user_ids, by, now: datetime | None = None) -> int:
    """Tick members present. Idempotent: ticking twice is one row. Two queries whatever the
    number of people ticked. Returns how many new ticks."""
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    ids = _active_member_ids(occurrence.group_id, user_ids)
    if len(ids) != len(set(user_ids)):
        raise ValidationError(_("Only members of this group can be ticked."))
    created = Attendance.objects.bulk_create(
        [
            Attendance(occurrence_id=occurrence.pk, user_id=uid, marked_by=by, created_at=now)
            for uid in ids
        ],
        ignore_conflicts=True,
    )
    return len(created)


@transaction.atomic
def attendance_unmark(*, occurrence: Occurrence, user_ids, by, now: datetime | None = None) -> int:
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    deleted, _ = Attendance.objects.filter(
        occurrence=occurrence, user_id__in=list(user_ids)
    ).delete()
    return deleted


@transaction.atomic
def register_save(
    *,
    occurrence: Occurrence,
    present_ids,
    by,
    now: datetime | None = None,
    remove_walk_in: int | None = None,
) -> None:
    """The plain-form register: exactly these members are ticked present (walk-ins stay,
    except `remove_walk_in`, taken off because they were added by mistake)."""
    now = now or timezone.now()
    if remove_walk_in is not None:
        walk_in_remove(occurrence=occurrence, attendance_id=remove_walk_in, by=by, now=now)
    present = set(present_ids)
    attendance_mark(occurrence=occurrence, user_ids=present, by=by, now=now)
    Attendance.objects.filter(occurrence=occurrence, user__isnull=False).exclude(
        user_id__in=present
    ).delete()


@transaction.atomic
def walk_in_add(
    *, occurrence: Occurrence, name: str, by, now: datetime | None = None
) -> Attendance:
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    name = collapse_spaces(name)[:60]
    if is_blank(name):
        raise ValidationError(_("Please write the person's first name (or a nickname)."))
    return Attendance.objects.create(
        occurrence=occurrence, walk_in_name=name, source=Attendance.Source.WALK_IN, marked_by=by
    )


@transaction.atomic
def walk_in_remove(
    *, occurrence: Occurrence, attendance_id: int, by, now: datetime | None = None
) -> None:
    """Take a walk-in off the register (added by mistake, or twice)."""
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    deleted, _counts = Attendance.objects.filter(
        pk=attendance_id, occurrence=occurrence, user__isnull=True
    ).delete()
    if not deleted:
        raise ValidationError(_("That person isn't on this register any more."))


#: How long after a meetup a facilitator can reopen its register to fix it. The same as how
#: long a "we missed you" can still go out, so a fix never starts a late round of messages.
REOPEN_WITHIN = rules.NUDGE_MAX_AGE


def can_reopen(occ: Occurrence, now: datetime) -> bool:
    return occ.register_closed and not occ.is_cancelled and now <= occ.ends_at + REOPEN_WITHIN


@transaction.atomic
def register_reopen(*, occurrence: Occurrence, by, now: datetime | None = None) -> Occurrence:
    """Open a closed register again to fix a mistake. Messages already sent stay sent (each
    member gets at most one nudge per meetup, ever); when it closes again, only people not
    yet told are considered."""
    now = now or timezone.now()
    occ = _lock(occurrence)
    if not occ.register_closed:
        return occ
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if now > occ.ends_at + REOPEN_WITHIN:
        raise ValidationError(
            _("This register can't be reopened any more: it's more than three days old.")
        )
    occ.register_closed_at = None
    occ.register_closed_by = None
    occ.register_reopened_at = now
    occ.save(update_fields=["register_closed_at", "register_closed_by", "register_reopened_at"])
    return occ


def checkin_open(occ: Occurrence, now: datetime) -> bool:
    return (
        not occ.is_cancelled
        and not occ.register_closed
        and occ.starts_at - CHECKIN_EARLY <= now <= occ.ends_at + CHECKIN_LATE
    )


@transaction.atomic
def self_check_in(
    *, occurrence: Occurrence, user, code: str, now: datetime | None = None
) -> Attendance:
    now = now or timezone.now()
    if not checkin_open(occurrence, now):
        raise ValidationError(
            _("Checking in opens half an hour before the meetup and closes half an hour after.")
        )
    cleaned = "".join(code.split()).upper()
    if not cleaned or cleaned != occurrence.checkin_code:
        raise ValidationError(_("That code doesn't match. Please check it with the facilitator."))
    if not _active_member_ids(occurrence.group_id, [user.pk]):
        raise ValidationError(_("Only members of this group can check in."))
    row, _created = Attendance.objects.get_or_create(
        occurrence=occurrence,
        user=user,
        defaults={"source": Attendance.Source.SELF_CHECKIN, "marked_by": user},
    )
    return row


@transaction.atomic
def register_close(*, occurrence: Occurrence, by, now: datetime | None = None) -> Occurrence:
    now = now or timezone.now()
    occ = _lock(occurrence)
    if occ.register_closed:
        return occ
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if now < occ.starts_at:
        raise ValidationError(_("You can close the register once the meetup has started."))
    occ.register_closed_at = now
    occ.register_closed_by = by
    occ.save(update_fields=["register_closed_at", "register_closed_by"])
    return occ


def registers_autoclose(*, now: datetime | None = None) -> int:
    """Close registers a few hours after the end. One query."""
    now = now or timezone.now()
    return (
        Occurrence.objects.filter(
            status=Occurrence.Status.SCHEDULED,
            register_closed_at__isnull=True,
            ends_at__lte=now - AUTO_CLOSE_AFTER,
            ends_at__gte=now - timedelta(days=14),
        )
        .filter(
            # a register reopened by hand gets a few hours before it closes by itself again
            Q(register_reopened_at__isnull=True)
            | Q(register_reopened_at__lte=now - AUTO_CLOSE_AFTER)
        )
        .update(register_closed_at=now)
    )


# --- members' choices -------------------------------------------------------------------


def prefs_set(*, user, group: Group, nudges: bool) -> MeetupPrefs:
    prefs, _ = MeetupPrefs.objects.update_or_create(
        user=user, group=group, defaults={"nudges": nudges}
    )
    return prefs


def calendar_feed_for(*, user, renew: bool = False) -> CalendarFeed:
    """The member's private calendar link; `renew` makes a new one and the old stops working."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed and not renew:
        return feed
    if feed:
        feed.delete()
    return CalendarFeed.objects.create(user=user)


def group_feed_for(*, user, group: Group, renew: bool = False) -> GroupCalendarFeed:
    """The member's private subscription link for one group's calendar; `renew` replaces it."""
    feed = GroupCalendarFeed.objects.filter(user=user, group=group).first()
    if feed and not renew:
        return feed
    if feed:
        feed.delete()
    return GroupCalendarFeed.objects.create(user=user, group=group)


@transaction.atomic
def nudge_reply(*, occurrence: Occurrence, user, choice: str) -> NudgeReply:
    if choice not in NudgeReply.Choice.values:
        raise ValidationError(_("Please choose one of the two answers."))
    reply = NudgeReply.objects.filter(occurrence=occurrence, user=user).first()
    first_contact = choice == NudgeReply.Choice.CONTACT and (
        reply is None or reply.choice != NudgeReply.Choice.CONTACT
    )
    if reply is None:
        reply = NudgeReply(occurrence=occurrence, user=user)
    reply.choice = choice
    reply.created_at = timezone.now()
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:  # answered twice at once: the first answer stands
        return NudgeReply.objects.get(occurrence=occurrence, user=user)
    if first_contact:
        group = occurrence.group
        facilitators = (
            Membership.objects.facilitators()
            .filter(group=group)
            .values_list("user_id", "user__time_zone")
        )
        _notify_in_their_zones(
            list(facilitators),
            lambda zone: (
                _("%(name)s would like someone to get in touch") % {"name": user.public_name},
                _(
                    "%(name)s missed %(group)s on %(day)s and asked for someone to get in "
                    "touch. A private message from you could mean a lot: open it to write to "
                    "them."
                )
                % {
                    "name": user.public_name,
                    "group": group.name,
                    "day": text.day(text.start(occurrence, zone)),
                },
            ),
            kind=Kind.FACILITATOR,
            # Straight into a private check-in with them (chat's checkins pages).
            url=reverse("checkins:start")
            + f"?group={group.slug}&member={user.pk}&source=nudge",
            group_id=group.pk,
            urgent=True,
        )
    return reply


# --- the periodic jobs: reminders and nudges, in bulk ----------------------------------------
#
# Both jobs are set-based end to end: a fixed number of queries reads every candidate meetup,
# member, RSVP, opt-out and the attendance history at once; the pure rules decide in memory;
# delivery rows go in with one bulk INSERT .. ON CONFLICT DO NOTHING (the unique constraint is
# what makes sending exactly-once) and are read back by this run's batch id; then one
# `notify_many` creates every notification, and after commit one callback pushes all bell
# updates and queues the emails in batches.


@dataclass
class JobResult:
    sent: int = 0
    deferred: int = 0  # waiting for the morning
    suggestions: int = 0


def _pair(occurrence_id: int, user_id: int) -> int:
    """(meetup, member) as one int: a set of these is a third the size of a set of tuples."""
    return (occurrence_id << 32) | user_id


#: The same encoding in SQL, so the database hands back plain ints.
_PAIR_SQL = ExpressionWrapper(
    F("occurrence_id") * 4294967296 + F("user_id"), output_field=BigIntegerField()
)


def _values(qs):
    """The rows of a `values_list` queryset as plain tuples. On PostgreSQL they come straight
    from the cursor in chunks (no per-row converters: at a million rows that is most of the
    cost); elsewhere through the ORM. One query either way."""
    if connection.vendor != "postgresql":
        return qs.iterator(chunk_size=20000)
    sql, params = qs.query.sql_with_params()

    def fetch():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            while chunk := cur.fetchmany(20000):
                yield from chunk

    return fetch()


def _lookback_start(occs, first: datetime) -> datetime:
    """How far back the rules need history: EXPECTED_LOOKBACK meetups before `first` (the
    decisions need no more: see rules.nudge_action), plus one slack meetup for a week whose
    register wasn't taken and a day for the clocks changing, at the slowest rhythm here."""
    rhythm = max((occ.series.interval_weeks if occ.series_id else 1) for occ in occs)
    return first - timedelta(weeks=(rules.EXPECTED_LOOKBACK + 1) * rhythm, days=1)


def _history(
    group_ids, *, before: datetime, since: datetime, users=None
) -> tuple[dict[int, list[int]], set[int]]:
    """Recent meetups with a register taken, per group, newest first (their ids), and who
    attended (a set of `_pair`s), only for `users` (a subquery of user ids) if given. Two
    queries. Meetups whose register nobody took don't count as misses."""
    recent = Occurrence.objects.filter(
        group_id__in=group_ids,
        status=Occurrence.Status.SCHEDULED,
        register_closed_at__isnull=False,
        starts_at__lt=before,
        starts_at__gte=since,
    )
    rows = Attendance.objects.filter(occurrence__in=recent, user__isnull=False)
    if users is not None:
        rows = rows.filter(user_id__in=users)
    attended = {row[0] for row in _values(rows.annotate(pair=_PAIR_SQL).values_list("pair"))}
    ticked = Attendance.objects.filter(occurrence=OuterRef("pk"), user__isnull=False)
    per_group: dict[int, list[int]] = defaultdict(list)
    for occ_id, group_id, taken in (
        recent.annotate(taken=Exists(ticked))
        .order_by("-starts_at", "-id")
        .values_list("id", "group_id", "taken")
    ):
        if taken:
            per_group[group_id].append(occ_id)
    return per_group, attended


#: What the jobs read about a member's quiet hours, after the ids and role.
_QUIET_FIELDS = (
    "user__time_zone",
    "user__quiet_hours__enabled",
    "user__quiet_hours__start",
    "user__quiet_hours__end",
)


def _members(group_ids: set[int]) -> dict[int, list[tuple[int, str, rules.Quiet]]]:
    """Active members per group: (user_id, role, their quiet hours). One query."""
    out: dict[int, list[tuple[int, str, rules.Quiet]]] = defaultdict(list)
    quiet = _QuietOf()
    for uid, gid, role, *q in _values(
        Membership.objects.filter(group_id__in=group_ids, status=Membership.Status.ACTIVE)
        .filter(user__is_active=True)
        .values_list("user_id", "group_id", "role", *_QUIET_FIELDS)
    ):
        out[gid].append((uid, role, quiet(*q)))
    return out


class _QuietOf:
    """`rules.Quiet` from stored values, one shared instance per distinct setting."""

    def __init__(self):
        self.known: dict[tuple, rules.Quiet] = {}

    def __call__(self, *values) -> rules.Quiet:
        quiet = self.known.get(values)
        if quiet is None:
            quiet = self.known[values] = rules.Quiet.of(*values)
        return quiet


def _absentees(occs: list[Occurrence], candidates, group_ids):
    """The members the nudge rules have to think about: active, not facilitators, and not
    ticked at the meetup that just happened (where a group has two such meetups, all its
    members). A queryset, so it can also be a subquery."""
    per_group = defaultdict(int)
    for occ in occs:
        per_group[occ.group_id] += 1
    several = [gid for gid, n in per_group.items() if n > 1]
    came = Attendance.objects.filter(
        occurrence_id__in=candidates.values("pk"),
        occurrence__group_id=OuterRef("group_id"),
        user_id=OuterRef("user_id"),
    )
    return (
        Membership.objects.filter(group_id__in=group_ids, status=Membership.Status.ACTIVE)
        .filter(user__is_active=True)
        .exclude(role=Membership.Role.FACILITATOR)
        .filter(Q(group_id__in=several) | ~Exists(came))
    )


def _present(occ_ids) -> set[int]:
    """Members already on these meetups' registers, as `_pair`s. One query."""
    rows = Attendance.objects.filter(occurrence_id__in=occ_ids, user__isnull=False)
    return {row[0] for row in _values(rows.annotate(pair=_PAIR_SQL).values_list("pair"))}


def _rsvps(occ_ids) -> dict[int, tuple[str, bool]]:
    """RSVPs to these meetups, keyed by `_pair`. One query."""
    return {
        _pair(oid, uid): (answer, pos is not None)
        for oid, uid, answer, pos in Rsvp.objects.filter(occurrence_id__in=occ_ids).values_list(
            "occurrence_id", "user_id", "answer", "waitlist_position"
        )
    }


class _QuietHours:
    """`rules.is_quiet_hours`, answered once per setting (a member's quiet hours, or a
    group's time zone with the default hours) per run."""

    def __init__(self, now: datetime):
        self.now = now
        self.known: dict[str | rules.Quiet, bool] = {}

    def __call__(self, quiet: str | rules.Quiet) -> bool:
        answer = self.known.get(quiet)
        if answer is None:
            answer = self.known[quiet] = rules.is_quiet_hours(self.now, quiet)
        return answer


def _insert_deliveries(
    rows: list[tuple[str, int, int, int]], now: datetime
) -> list[tuple[str, int, int]]:
    """Insert (kind, occurrence_id, user_id, group_id) rows with ON CONFLICT DO NOTHING and
    return only the rows this call inserted, as (kind, occurrence_id, user_id). A second job
    (or a concurrent one) gets nothing back for rows that already exist, so nothing is ever
    notified twice. On PostgreSQL one statement (unnest .. RETURNING); elsewhere a bulk
    insert and a read-back by this run's batch id."""
    if not rows:
        return []
    batch = uuid.uuid4().hex
    if connection.vendor == "postgresql":
        kinds, occs, users, groups = (list(col) for col in zip(*rows, strict=True))
        kinds = [str(k) for k in kinds]  # plain text, not an enum member
        with connection.cursor() as cur:
            cur.execute(
                """INSERT INTO meetups_delivery
                    (kind, occurrence_id, user_id, group_id, batch, created_at)
                SELECT k, o, u, g, %s, %s
                FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::bigint[],
                            string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[])
                    AS t(k, o, u, g)
                ON CONFLICT DO NOTHING
                RETURNING kind, occurrence_id, user_id""",
                # Long arrays travel as one comma-joined string each: far cheaper to send.
                [batch, now, *(",".join(map(str, col)) for col in (kinds, occs, users, groups))],
            )
            return [tuple(r) for r in cur.fetchall()]
    Delivery.objects.bulk_create(
        [
            Delivery(kind=k, occurrence_id=o, user_id=u, group_id=g, batch=batch, created_at=now)
            for k, o, u, g in rows
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )
    return list(
        Delivery.objects.filter(batch=batch).values_list("kind", "occurrence_id", "user_id")
    )


def reminders_send(*, now: datetime | None = None) -> JobResult:
    """Send due reminders (24 h and 2 h before) in bulk. A constant number of queries
    whatever the number of members and meetups; each (kind, meetup, member) at most once."""
    now = now or timezone.now()
    result = JobResult()
    quiet = _QuietHours(now)
    with transaction.atomic():
        occs = list(
            Occurrence.objects.filter(
                status=Occurrence.Status.SCHEDULED,
                starts_at__gt=now,
                starts_at__lte=now + rules.REMINDER_24H,
            ).select_related("series", "group")
        )
        due: list[tuple[Occurrence, rules.ReminderKind]] = []
        for occ in occs:
            on_24h = occ.series.reminders_24h if occ.series else True
            on_2h = occ.series.reminders_2h if occ.series else True
            for kind in rules.ReminderKind:
                if rules.reminder_due(
                    kind, starts_at=occ.starts_at, now=now, on_24h=on_24h, on_2h=on_2h
                ):
                    due.append((occ, kind))
        if not due:
            return result
        group_ids = {occ.group_id for occ, _ in due}
        members = _members(group_ids)
        rsvps = _rsvps([occ.pk for occ, _ in due])
        present = _present([occ.pk for occ, _ in due])
        history, attended = _history(
            group_ids, before=now, since=_lookback_start([occ for occ, _ in due], now)
        )
        rows = []
        zones: dict[int, str] = {}  # member -> their time zone: reminders are on their clock
        for occ, kind in due:
            recent = history.get(occ.group_id, [])[: rules.EXPECTED_LOOKBACK]
            for uid, _role, hours in members.get(occ.group_id, []):
                zones[uid] = hours.time_zone
                answer, waitlisted = rsvps.get(_pair(occ.pk, uid), (None, False))
                regular = rules.is_regular([_pair(oid, uid) in attended for oid in recent])
                if not rules.gets_reminder(
                    answer=answer,
                    waitlisted=waitlisted,
                    regular=regular,
                    present=_pair(occ.pk, uid) in present,
                ):
                    continue
                if quiet(hours):
                    result.deferred += 1
                    continue
                rows.append((kind.value, occ.pk, uid, occ.group_id))
        inserted = _insert_deliveries(rows, now)
        occ_by_id = {occ.pk: occ for occ, _ in due}
        # One text (and one data dict) per meetup, kind, whether it asks and time zone.
        texts: dict[tuple[str, int, bool, str], tuple[str, str, str, dict]] = {}
        notes = []
        for kind, oid, uid in inserted:
            answer, _waitlisted = rsvps.get(_pair(oid, uid), (None, False))
            key = (kind, oid, rules.reminder_asks(answer), zones.get(uid, ""))
            if key not in texts:
                texts[key] = _reminder_text(occ_by_id[oid], kind, ask=key[2], zone=key[3] or None)
            title, body, url, data = texts[key]
            notes.append(
                Note(
                    user_id=uid,
                    kind=Kind.MEETUP_REMINDER,
                    title=title,
                    body=body,
                    url=url,
                    group_id=occ_by_id[oid].group_id,
                    data=data,
                )  # fmt: skip
            )
        notify_many(notes)
        result.sent = len(notes)
    return result


def _reminder_text(
    occ: Occurrence, kind: str, *, ask: bool, zone: str | None = None
) -> tuple[str, str, str, dict]:
    """Title, body, link and data of a reminder, with times on the recipient's clock (`zone`,
    their profile's; the zone is named when it isn't the meetup's). `ask`: they haven't said
    they're going, so ask; otherwise "see you there", and the email offers one tap to say
    they can't come (`data["going"]`, read by `tokens.reminder_email_links`)."""
    zone = zone or occ.time_zone
    clock = text.clock(text.start(occ, zone))
    if text.differs(occ, zone):
        clock = f"{clock} {text.zone_label(zone)}"
    words = {"group": occ.group.name, "time": clock}
    if kind == rules.ReminderKind.H24:
        title = _("%(group)s tomorrow at %(time)s") % words
    else:
        title = _("%(group)s today at %(time)s") % words
    lines = [_("%(title)s: %(when)s") % {"title": occ.title, "when": text.when(occ, zone)}]
    lines += text.where_lines(occ)
    if occ.note:
        lines.append(_("Note: %(note)s") % {"note": occ.note})
    lines.append("")
    data: dict = {"occurrence": occ.pk}
    if ask:
        lines.append(_("Let us know if you're coming: going, not sure or can't make it."))
    else:
        lines.append(_("See you there! If plans change, just let us know."))
        data["going"] = True
    return title, "\n".join(lines), occurrence_url(occ), data


def nudges_send(*, now: datetime | None = None) -> JobResult:
    """After a register closes: a warm "we missed you" to each expected member who didn't
    come, didn't send apologies and hasn't opted out; at the third miss in a row, a
    "check in personally" suggestion to the facilitators instead.

    One transaction and a constant number of queries over every closed register, however
    many groups and members (about a dozen, plus one per 2,000-5,000 rows written)."""
    now = now or timezone.now()
    result = JobResult()
    with transaction.atomic():
        candidates = Occurrence.objects.filter(
            status=Occurrence.Status.SCHEDULED,
            register_closed_at__isnull=False,
            register_closed_at__lte=now,
            register_closed_at__gte=now - rules.NUDGE_MAX_AGE,
            # A register reopened and closed again much later: too late to say we missed you.
            ends_at__gte=now - rules.NUDGE_MAX_AGE - AUTO_CLOSE_AFTER,
        )
        occs = list(candidates.select_related("group", "series"))
        if occs:
            _nudge_all(occs, candidates, now, result)
    return result


def _nudge_all(occs: list[Occurrence], candidates, now: datetime, result: JobResult) -> None:
    # The other queries name the candidate meetups and their groups by this subquery, not by
    # lists of thousands of ids (which cost more to send and to parse than to look up).
    group_ids = candidates.values("group_id")
    latest = max(occ.starts_at for occ in occs)
    earliest = min(occ.starts_at for occ in occs)
    # Only the members who missed a meetup need deciding about (about a fifth): read their
    # history alone, not everyone's.
    absent = _absentees(occs, candidates, group_ids)
    history, attended = _history(
        group_ids,
        before=latest + timedelta(seconds=1),
        since=_lookback_start(occs, earliest),
        users=absent.values("user_id"),
    )
    members: dict[int, list[tuple[int, str, rules.Quiet]]] = defaultdict(list)
    quiet_of = _QuietOf()
    for uid, gid, role, *q in _values(
        absent.values_list("user_id", "group_id", "role", *_QUIET_FIELDS)
    ):
        members[gid].append((uid, role, quiet_of(*q)))
    rsvps = _rsvps(candidates.values("pk"))
    opted_out = set(
        MeetupPrefs.objects.filter(group_id__in=group_ids, nudges=False).values_list(
            "user_id", "group_id"
        )
    )
    # The weekly cap is per member across every group: the nudges each absentee had lately,
    # wherever they were (which meetups, so a reopened register's own nudge doesn't count).
    nudged_recently: dict[int, set[int]] = defaultdict(set)
    for uid, oid in Delivery.objects.filter(
        kind=Delivery.Kind.NUDGE,
        user_id__in=absent.values("user_id"),
        created_at__gte=now - rules.NUDGE_MIN_GAP,
    ).values_list("user_id", "occurrence_id"):
        nudged_recently[uid].add(oid)
    quiet = _QuietHours(now)
    facilitator = Membership.Role.FACILITATOR

    rows = []
    nudging: set[int] = set()  # members getting a nudge from this run: the cap holds here too
    # Newest first, so a member who missed several meetups hears about the latest one.
    for occ in sorted(occs, key=lambda o: (o.starts_at, o.pk), reverse=True):
        ids = history.get(occ.group_id, [])
        if occ.pk not in ids:
            continue  # nobody took this register: never guess who was missing
        previous = ids[ids.index(occ.pk) + 1 :][: rules.EXPECTED_LOOKBACK + 2]
        for uid, role, hours in members.get(occ.group_id, []):
            if _pair(occ.pk, uid) in attended or role == facilitator:
                continue  # they came (or run the group): nothing to decide
            answer, waitlisted = rsvps.get(_pair(occ.pk, uid), (None, False))
            recent_other = nudged_recently.get(uid)
            facts = rules.NudgeFacts(
                attended=False,
                previous_attended=[_pair(oid, uid) in attended for oid in previous],
                answer=answer,
                waitlisted=waitlisted,
                opted_out=(uid, occ.group_id) in opted_out,
                nudged_recently=uid in nudging or bool(recent_other and recent_other - {occ.pk}),
                is_facilitator=False,
            )
            action = rules.nudge_action(facts)
            if action == rules.NudgeAction.NUDGE:
                if quiet(hours):
                    result.deferred += 1
                    continue
                kind = Delivery.Kind.NUDGE
                nudging.add(uid)
            elif action == rules.NudgeAction.SUGGEST:
                if quiet(occ.time_zone):  # the facilitators' evening is theirs too
                    result.deferred += 1
                    continue
                kind = Delivery.Kind.CHECKIN_SUGGESTION
            else:
                continue
            rows.append((kind, occ.pk, uid, occ.group_id))
    inserted = _insert_deliveries(rows, now)
    if not inserted:
        return
    occ_by_id = {occ.pk: occ for occ in occs}
    nudged: dict[int, list[int]] = defaultdict(list)
    suggested: dict[int, list[int]] = defaultdict(list)
    for kind, oid, uid in inserted:
        (nudged if kind == Delivery.Kind.NUDGE else suggested)[oid].append(uid)
    next_meetups: dict[int, Occurrence] = {}
    if nudged:
        for nxt in Occurrence.objects.filter(
            group_id__in={occ_by_id[oid].group_id for oid in nudged},
            status=Occurrence.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=15),
        ).order_by("starts_at"):
            next_meetups.setdefault(nxt.group_id, nxt)
    names = {}
    if suggested:
        from accounts.models import User

        names = {
            u.pk: u.public_name
            for u in User.objects.filter(
                pk__in=[uid for uids in suggested.values() for uid in uids]
            ).only("display_name")
        }

    facilitators: dict[int, list[int]] = defaultdict(list)
    if suggested:
        for uid, gid in (
            Membership.objects.facilitators()
            .filter(
                group_id__in={occ_by_id[oid].group_id for oid in suggested}, user__is_active=True
            )
            .values_list("user_id", "group_id")
        ):
            facilitators[gid].append(uid)
    zones = {uid: q.time_zone for people in members.values() for uid, _role, q in people}
    notes: list[Note] = []
    for oid, uids in nudged.items():
        occ = occ_by_id[oid]
        texts: dict[str, tuple[str, str, str]] = {}  # one per time zone among them
        for zone in {zones.get(uid, occ.time_zone) for uid in uids}:
            texts[zone] = _nudge_text(occ, next_meetups.get(occ.group_id), zone=zone)
        url = occurrence_url(occ, "missed")
        data = {"occurrence": oid}
        notes += [
            Note(
                user_id=uid,
                kind=Kind.MISSED_YOU,
                title=texts[zones.get(uid, occ.time_zone)][0],
                body=texts[zones.get(uid, occ.time_zone)][1],
                url=url,
                group_id=occ.group_id,
                data=data,
            )  # fmt: skip
            for uid in uids
        ]
        result.sent += len(uids)
    for oid, uids in suggested.items():
        occ = occ_by_id[oid]
        group = occ.group
        who = ", ".join(sorted(names.get(uid, "") for uid in uids))
        title = _("Time for a personal hello in %(group)s") % {"group": group.name}
        body = _(
            "%(who)s missed three meetups in a row. We've stopped the automatic "
            "messages; a private message from you could mean a lot."
        ) % {"who": who}
        # One person: straight into a private check-in with them; several: the drift view,
        # which has a "check in privately" button for each.
        url = reverse("meetups:attendance", kwargs={"slug": group.slug})
        if len(uids) == 1:
            url = reverse("checkins:start") + f"?group={group.slug}&member={uids[0]}&source=drift"
        notes += [
            Note(
                user_id=fac,
                kind=Kind.FACILITATOR,
                title=title,
                body=body,
                url=url,
                group_id=group.pk,
            )  # fmt: skip
            for fac in facilitators.get(occ.group_id, [])
        ]
        result.suggestions += len(uids)
    notify_many(notes)


def _nudge_text(
    occ: Occurrence, next_meetup: Occurrence | None, *, zone: str | None = None
) -> tuple[str, str, str]:
    """A "we missed you", its days and times on the member's clock (`zone`)."""
    zone = zone or occ.time_zone
    group = occ.group
    weekday = f"{text.start(occ, zone):%A}"
    lines = [
        _(
            "We missed you at %(group)s on %(day)s - people noticed you weren't there, "
            "and we hope you're OK."
        )
        % {"group": group.name, "day": weekday}
    ]
    if occ.personal_line:
        lines.append(occ.personal_line)
    if next_meetup is not None:
        lines.append(
            _("Next time is %(when)s. It would be lovely to see you.")
            % {"when": text.when(next_meetup, zone)}
        )
    lines += [
        "",
        _(
            "Let us know how you are: “I'm OK, see you next time” or "
            "“I'd like someone to get in touch”."
        ),
    ]
    title = _("We missed you at %(group)s on %(day)s") % {"group": group.name, "day": weekday}
    return title, "\n".join(lines), occurrence_url(occ, "missed")


def run_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Everything the periodic tasks do, once (for the management command)."""
    now = now or timezone.now()
    created = occurrences_extend(now=now)
    closed = registers_autoclose(now=now)
    reminders = reminders_send(now=now)
    nudges = nudges_send(now=now)
    return {
        "occurrences_created": created,
        "registers_closed": closed,
        "reminders_sent": reminders.sent,
        "reminders_waiting_for_morning": reminders.deferred,
        "nudges_sent": nudges.sent,
        "nudges_waiting_for_morning": nudges.deferred,
        "checkin_suggestions": nudges.suggestions,
    }

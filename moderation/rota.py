"""The moderators' rota, as sums: who is on duty at an instant, when someone is back, where
the gaps are. Pure functions over plain rows (no queries), so the table tests can throw any
instant at them; `moderation.selectors` loads the rows.

Shifts are wall-clock times in UK time (Europe/London). A Monday 22:00-07:00 shift starts at
22:00 on the Monday and ends at 07:00 on the Tuesday, whatever the clocks did in between: on
the night the clocks go back it lasts an hour longer, on the night they go forward an hour
shorter. A start inside the missing hour (01:00-02:00 on the last Sunday of March) begins at
the first real minute after it, 02:00 BST; a start inside the repeated hour (01:00-02:00 on
the last Sunday of October) is the first of the two, in BST. Every comparison is in UTC:
Python compares two datetimes of the same zone by their wall time, which is wrong for an hour
a year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
WEEK_MINUTES = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class ShiftRow:
    pk: int
    person_id: int
    weekday: int  # Monday = 0
    starts: time
    ends: time


@dataclass(frozen=True, slots=True)
class ChangeRow:
    kind: str  # "leave" or "swap"
    person_id: int
    cover_id: int | None
    starts_on: date
    ends_on: date
    shift_id: int | None = None


@dataclass(frozen=True, slots=True)
class Duty:
    """One shift on one day: who is on (None: nobody, the rostered person is on leave with no
    cover), from and until when (UTC), and whose shift it was."""

    shift_id: int
    day: date  # the UK date the shift starts on
    person_id: int | None
    rostered_id: int
    starts_at: datetime
    ends_at: datetime

    @property
    def covered(self) -> bool:
        return self.person_id is not None and self.person_id != self.rostered_id

    def on_at(self, at: datetime) -> bool:
        return self.person_id is not None and self.starts_at <= at < self.ends_at


def uk_instant(day: date, at: time) -> datetime:
    """The UTC instant of a UK wall-clock time (see the module note for the odd hours)."""
    local = datetime.combine(day, at, tzinfo=UK)
    utc = local.astimezone(UTC)
    if utc.astimezone(UK).replace(tzinfo=None) != local.replace(tzinfo=None):
        # A time the clocks skipped: it begins when they spring forward (UK clocks always
        # change at 01:00 UTC).
        utc = datetime.combine(day, time(1), tzinfo=UTC)
    return utc


def shift_span(day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    end_day = day if ends > starts else day + timedelta(days=1)
    return uk_instant(day, starts), uk_instant(end_day, ends)


def duties(
    shifts: Iterable[ShiftRow], changes: Iterable[ChangeRow], start: datetime, end: datetime
) -> list[Duty]:
    """Every duty overlapping [start, end] (so `duties(s, c, t, t)` holds who is on at t),
    in start order, with leave and swaps applied."""
    shifts, changes = list(shifts), list(changes)
    first = start.astimezone(UK).date() - timedelta(days=1)  # yesterday's overnight shift
    last = end.astimezone(UK).date()
    out: list[Duty] = []
    day = first
    while day <= last:
        for shift in shifts:
            if shift.weekday != day.weekday():
                continue
            starts_at, ends_at = shift_span(day, shift.starts, shift.ends)
            if ends_at <= start or starts_at > end:
                continue
            out.append(
                Duty(
                    shift_id=shift.pk,
                    day=day,
                    person_id=_who(shift, day, changes),
                    rostered_id=shift.person_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            )
        day += timedelta(days=1)
    out.sort(key=lambda d: (d.starts_at, d.shift_id))
    return out


def _who(shift: ShiftRow, day: date, changes: list[ChangeRow]) -> int | None:
    for change in changes:  # a swap of this very shift wins over leave
        if change.kind == "swap" and change.shift_id == shift.pk and change.starts_on == day:
            return change.cover_id
    for change in changes:
        if (
            change.kind == "leave"
            and change.person_id == shift.person_id
            and change.starts_on <= day <= change.ends_on
        ):
            return change.cover_id
    return shift.person_id


def on_duty(all_duties: Iterable[Duty], at: datetime) -> list[Duty]:
    """Who is on at `at`, each once (their duty ending last)."""
    best: dict[int, Duty] = {}
    for duty in all_duties:
        if duty.on_at(at) and duty.person_id is not None:
            held = best.get(duty.person_id)
            if held is None or duty.ends_at > held.ends_at:
                best[duty.person_id] = duty
    return sorted(best.values(), key=lambda d: (d.ends_at, d.person_id or 0))


def next_on(
    all_duties: Iterable[Duty], after: datetime, exclude: Iterable[int] = ()
) -> Duty | None:
    """The first duty starting after `after` with someone on it (not in `exclude`)."""
    skip = set(exclude)
    later = [
        d
        for d in all_duties
        if d.person_id is not None and d.person_id not in skip and d.starts_at > after
    ]
    return min(later, key=lambda d: (d.starts_at, d.shift_id), default=None)


def gaps(
    all_duties: Iterable[Duty], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, end) with nobody on duty."""
    spans = sorted(
        (max(d.starts_at, start), min(d.ends_at, end)) for d in all_duties if d.person_id
    )
    out, cursor = [], start
    for s, e in spans:
        if s > cursor:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        out.append((cursor, end))
    return out


def _week_span(row: ShiftRow) -> tuple[int, int]:
    s = row.weekday * 1440 + row.starts.hour * 60 + row.starts.minute
    e = row.weekday * 1440 + row.ends.hour * 60 + row.ends.minute
    if e <= s:
        e += 1440
    return s, e


def overlapping(new: ShiftRow, existing: Iterable[ShiftRow]) -> ShiftRow | None:
    """An existing weekly shift of the same person that `new` overlaps (on the wall clock,
    the week wrapping round from Sunday night to Monday), or None."""
    ns, ne = _week_span(new)
    for row in existing:
        if row.person_id != new.person_id or row.pk == new.pk:
            continue
        s, e = _week_span(row)
        for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES):
            if ns < e + shift and s + shift < ne:
                return row
    return None

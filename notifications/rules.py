"""When a notification's email (and, later, its web push) may reach a member.

Pure functions of the member's settings and a clock: no database of their own. `hold_until` is
the one rule every sender asks; the meetup jobs ask `quiet_ends` in bulk with `Quiet` values.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from .models import DEFAULT_QUIET_END, DEFAULT_QUIET_START, Kind

DEFAULT_TIME_ZONE = "Europe/London"

#: A first mention waits this long for others, so several arrive as one email.
MENTION_WINDOW = datetime.timedelta(minutes=5)

#: Never held, whatever the hour: part of keeping people safe.
NEVER_HELD = frozenset({Kind.SAFEGUARDING})


@dataclass(frozen=True)
class Quiet:
    """A member's quiet hours: local `start` to `end` (may cross midnight) in `time_zone`.
    `start` None means they turned quiet hours off."""

    time_zone: str = DEFAULT_TIME_ZONE
    start: datetime.time | None = DEFAULT_QUIET_START
    end: datetime.time | None = DEFAULT_QUIET_END

    @classmethod
    def of(
        cls,
        time_zone: str | None,
        enabled: bool | None = None,
        start: datetime.time | None = None,
        end: datetime.time | None = None,
    ) -> Quiet:
        """From stored values; `enabled` None means the member has no row (the default)."""
        tz = time_zone or DEFAULT_TIME_ZONE
        if enabled is None:
            return cls(tz)
        if not enabled or start is None or end is None or start == end:
            return cls(tz, None, None)
        return cls(tz, start, end)


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The member's zone; an unknown one falls back to London rather than crashing."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def quiet_ends(now: datetime.datetime, quiet: Quiet) -> datetime.datetime | None:
    """When the quiet hours `now` falls in end (an aware datetime after `now`), or None if
    `now` is not in quiet hours. The start is inside the quiet hours, the end is not."""
    start, end = quiet.start, quiet.end
    if start is None or end is None or start == end:
        return None
    tz = zone(quiet.time_zone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:  # e.g. 13:00-15:00
        if not start <= t < end:
            return None
        day = local.date()
    elif t >= start:  # crosses midnight, e.g. 21:00-08:00: tonight, until tomorrow
        day = local.date() + datetime.timedelta(days=1)
    elif t < end:  # after midnight, until this morning
        day = local.date()
    else:
        return None
    ends = datetime.datetime.combine(day, end, tzinfo=tz).astimezone(datetime.UTC)
    # A wall time the clocks skip (spring forward) still lands after now.
    return max(ends, now.astimezone(datetime.UTC) + datetime.timedelta(seconds=1))


def quiet_of(user) -> Quiet:
    """The member's quiet hours (their `quiet_hours` row, select_related by bulk callers)."""
    try:
        row = user.quiet_hours
    except ObjectDoesNotExist:
        row = None
    if row is None:
        return Quiet.of(user.time_zone)
    return Quiet.of(user.time_zone, row.enabled, row.start, row.end)


def hold_until(
    user, kind: str, now: datetime.datetime, *, urgent: bool = False
) -> datetime.datetime | None:
    """Until when an email or push of `kind` to `user` must wait, or None to send it now.

    Everything waits out the member's quiet hours except urgent safeguarding alerts."""
    if urgent or kind in NEVER_HELD:
        return None
    return quiet_ends(now, quiet_of(user))

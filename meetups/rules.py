"""The rules for reminders and nudges, as pure functions (no database, no clock of their own).

Jobs gather facts in bulk and ask these functions; tests table-drive them with a fixed clock.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.rules import Quiet, quiet_ends

NUDGE_MAX_AGE = timedelta(days=3)
#: "At most one nudge a week": a rolling window a little under seven days, so a weekly
#: group's rhythm is not broken by a few minutes' jitter (or a quiet-hours wait) in the job.
NUDGE_MIN_GAP = timedelta(days=6)
MISSES_BEFORE_PERSONAL = 3
EXPECTED_LOOKBACK = 4
REMINDER_24H = timedelta(hours=24)
REMINDER_2H = timedelta(hours=2)


def is_quiet_hours(now: datetime, time_zone: str | Quiet) -> bool:
    """Nothing is sent in the member's own quiet hours (`notifications.rules`): the ones they
    chose, or 21:00 to 08:00, in their time zone. A bare time zone means the default hours."""
    quiet = time_zone if isinstance(time_zone, Quiet) else Quiet.of(time_zone)
    return quiet_ends(now, quiet) is not None


class ReminderKind(enum.StrEnum):
    H24 = "reminder_24h"
    H2 = "reminder_2h"


def reminder_due(
    kind: ReminderKind, *, starts_at: datetime, now: datetime, on_24h: bool, on_2h: bool
) -> bool:
    """Is this reminder due now? A reminder for a meetup that has started is dropped (late
    consumer); the day-before reminder is dropped once the two-hour one is due."""
    if now >= starts_at:
        return False
    if kind == ReminderKind.H2:
        return on_2h and now >= starts_at - REMINDER_2H
    if not on_24h or now < starts_at - REMINDER_24H:
        return False
    return not (on_2h and now >= starts_at - REMINDER_2H)


def reminder_asks(answer: str | None) -> bool:
    """Does the reminder ask whether they're coming? Not of someone who said they're going:
    they are told "see you there", with a way to say they can't make it after all."""
    return answer != "going"


def is_regular(recent_attended: Sequence[bool]) -> bool:
    """Attended at least two of the last four meetups (`recent_attended` newest first)."""
    return sum(1 for a in recent_attended[:EXPECTED_LOOKBACK] if a) >= 2


def gets_reminder(
    *, answer: str | None, waitlisted: bool, regular: bool, present: bool = False
) -> bool:
    """Going or not sure get reminders; so do regulars who have not answered. Nobody already
    on the meetup's register (checked in, or ticked) is reminded of it."""
    if present:
        return False
    if answer in ("going", "maybe"):
        return not (answer == "going" and waitlisted)
    if answer is None:
        return regular
    return False


def is_expected(
    *, previous_attended: Sequence[bool], answer: str | None, waitlisted: bool = False
) -> bool:
    """Expected at a meetup: went to at least one of the four before it, or said they're going.
    `previous_attended` is newest first, and excludes the meetup itself."""
    if answer == "going" and not waitlisted:
        return True
    return any(previous_attended[:EXPECTED_LOOKBACK])


def miss_streak(attended: Sequence[bool]) -> int:
    """How many meetups in a row were missed, counting back from the newest (newest first)."""
    streak = 0
    for was_there in attended:
        if was_there:
            break
        streak += 1
    return streak


class NudgeAction(enum.StrEnum):
    NONE = "none"
    NUDGE = "nudge"
    SUGGEST = "suggest"  # tell the facilitators to check in personally instead


@dataclass(frozen=True)
class NudgeFacts:
    """What a nudge decision needs about one member and one closed meetup."""

    attended: bool
    previous_attended: Sequence[bool]  # the meetups before this one, newest first
    answer: str | None  # their RSVP to this meetup
    waitlisted: bool = False
    opted_out: bool = False
    nudged_recently: bool = False  # a nudge (in any group) within NUDGE_MIN_GAP
    register_taken: bool = True
    is_facilitator: bool = False


def nudge_action(facts: NudgeFacts) -> NudgeAction:
    if not facts.register_taken or facts.attended or facts.is_facilitator:
        return NudgeAction.NONE
    if facts.answer == "no":  # they sent apologies
        return NudgeAction.NONE
    if not is_expected(
        previous_attended=facts.previous_attended, answer=facts.answer, waitlisted=facts.waitlisted
    ):
        return NudgeAction.NONE
    streak = 1 + miss_streak(facts.previous_attended)
    if streak == MISSES_BEFORE_PERSONAL:
        return NudgeAction.SUGGEST  # sent whatever the member's nudge settings
    if streak > MISSES_BEFORE_PERSONAL:
        return NudgeAction.NONE  # automatic nudges have stopped
    if facts.opted_out or facts.nudged_recently:
        return NudgeAction.NONE
    return NudgeAction.NUDGE


def nudge_too_old(*, register_closed_at: datetime, now: datetime) -> bool:
    """A late consumer drops nudges for registers closed more than three days ago."""
    return now - register_closed_at > NUDGE_MAX_AGE


def is_drifting(attended: Sequence[bool]) -> bool:
    """Attended regularly, now missed two or more in a row. `attended` is newest first.

    Regularly = at least half of the (up to six) meetups before the current run of misses,
    and at least two of them.
    """
    streak = miss_streak(attended)
    if streak < 2:
        return False
    before = list(attended[streak : streak + 6])
    went = sum(1 for a in before if a)
    return went >= 2 and went * 2 >= len(before)

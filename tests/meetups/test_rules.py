"""Table-driven tests of the reminder and nudge rules, with a fixed clock."""

import datetime as dt

import pytest

from meetups import rules
from meetups.rules import NudgeAction as A
from meetups.rules import NudgeFacts

UTC = dt.UTC
T = True
F = False


@pytest.mark.parametrize(
    "facts, expected",
    [
        # expected (came last week), absent, no apologies -> a nudge
        (NudgeFacts(attended=F, previous_attended=[T, T, T, T], answer=None), A.NUDGE),
        # attended -> nothing
        (NudgeFacts(attended=T, previous_attended=[T, T], answer="going"), A.NONE),
        # sent apologies ("can't make it") -> nothing
        (NudgeFacts(attended=F, previous_attended=[T, T], answer="no"), A.NONE),
        # not expected: none of the last four, no RSVP -> nothing
        (NudgeFacts(attended=F, previous_attended=[F, F, F, F, T], answer=None), A.NONE),
        # not expected by history but said "going" -> nudge
        (NudgeFacts(attended=F, previous_attended=[], answer="going"), A.NUDGE),
        # said going but only from the waiting list: not expected by that alone
        (NudgeFacts(attended=F, previous_attended=[], answer="going", waitlisted=T), A.NONE),
        # "not sure" counts only through history
        (NudgeFacts(attended=F, previous_attended=[], answer="maybe"), A.NONE),
        (NudgeFacts(attended=F, previous_attended=[F, T], answer="maybe"), A.NUDGE),
        # opted out -> nothing
        (NudgeFacts(attended=F, previous_attended=[T], answer=None, opted_out=T), A.NONE),
        # already nudged this week in this group -> nothing
        (NudgeFacts(attended=F, previous_attended=[T], answer=None, nudged_recently=T), A.NONE),
        # second miss in a row -> still a nudge
        (NudgeFacts(attended=F, previous_attended=[F, T, T], answer=None), A.NUDGE),
        # third miss in a row -> facilitators are asked to check in personally instead
        (NudgeFacts(attended=F, previous_attended=[F, F, T, T], answer=None), A.SUGGEST),
        # ... even if the member switched automatic nudges off
        (NudgeFacts(attended=F, previous_attended=[F, F, T], answer=None, opted_out=T), A.SUGGEST),
        # fourth miss -> automatic messages have stopped
        (NudgeFacts(attended=F, previous_attended=[F, F, F, T], answer=None), A.NONE),
        # nobody took the register -> never guess
        (NudgeFacts(attended=F, previous_attended=[T], answer=None, register_taken=F), A.NONE),
        # facilitators don't get nudged
        (NudgeFacts(attended=F, previous_attended=[T], answer=None, is_facilitator=T), A.NONE),
    ],
)
def test_nudge_action(facts, expected):
    assert rules.nudge_action(facts) == expected


@pytest.mark.parametrize(
    "when_utc, tz, quiet",
    [
        (dt.datetime(2026, 1, 13, 20, 59, tzinfo=UTC), "Europe/London", F),  # 20:59 GMT
        (dt.datetime(2026, 1, 13, 21, 0, tzinfo=UTC), "Europe/London", T),
        (dt.datetime(2026, 1, 14, 7, 59, tzinfo=UTC), "Europe/London", T),
        (dt.datetime(2026, 1, 14, 8, 0, tzinfo=UTC), "Europe/London", F),
        # summer: 20:30 UTC is 21:30 BST -> quiet
        (dt.datetime(2026, 7, 14, 20, 30, tzinfo=UTC), "Europe/London", T),
        # 07:30 UTC in July is 08:30 BST -> fine
        (dt.datetime(2026, 7, 14, 7, 30, tzinfo=UTC), "Europe/London", F),
        # the member's own zone: 12:00 UTC is 22:00 in Sydney (AEST)
        (dt.datetime(2026, 7, 14, 12, 0, tzinfo=UTC), "Australia/Sydney", T),
        (dt.datetime(2026, 7, 14, 12, 0, tzinfo=UTC), "America/New_York", F),
        # an unknown zone falls back to London rather than crashing
        (dt.datetime(2026, 1, 14, 12, 0, tzinfo=UTC), "Mars/Olympus", F),
    ],
)
def test_quiet_hours(when_utc, tz, quiet):
    assert rules.is_quiet_hours(when_utc, tz) is quiet


START = dt.datetime(2026, 3, 24, 19, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "kind, now, on24, on2, due",
    [
        ("reminder_24h", START - 25 * H, T, T, F),  # too early
        ("reminder_24h", START - 24 * H, T, T, T),
        ("reminder_24h", START - 3 * H, T, T, T),  # late consumer, still before the 2 h one
        ("reminder_24h", START - 2 * H, T, T, F),  # the 2 h one replaces it
        ("reminder_24h", START - 1 * H, T, F, T),  # unless the 2 h one is switched off
        ("reminder_24h", START - 20 * H, F, T, F),  # switched off
        ("reminder_2h", START - 3 * H, T, T, F),
        ("reminder_2h", START - 2 * H, T, T, T),
        ("reminder_2h", START - dt.timedelta(minutes=1), T, T, T),
        ("reminder_2h", START, T, T, F),  # started: a late reminder is dropped
        ("reminder_2h", START + H, T, T, F),
        ("reminder_24h", START + H, T, F, F),
        ("reminder_2h", START - H, T, F, F),  # switched off
    ],
)
def test_reminder_due(kind, now, on24, on2, due):
    got = rules.reminder_due(
        rules.ReminderKind(kind), starts_at=START, now=now, on_24h=on24, on_2h=on2
    )
    assert got is due


@pytest.mark.parametrize(
    "answer, waitlisted, regular, gets",
    [
        ("going", F, F, T),
        ("maybe", F, F, T),
        ("no", F, T, F),
        (None, F, T, T),  # a regular who hasn't answered
        (None, F, F, F),
        ("going", T, F, F),  # waiting list: no reminder yet
    ],
)
def test_gets_reminder(answer, waitlisted, regular, gets):
    assert rules.gets_reminder(answer=answer, waitlisted=waitlisted, regular=regular) is gets


@pytest.mark.parametrize("answer", ["going", "maybe", None])
def test_no_reminder_for_someone_already_on_the_register(answer):
    assert rules.gets_reminder(answer=answer, waitlisted=F, regular=T, present=T) is F


@pytest.mark.parametrize(
    "answer, asks", [("going", F), ("maybe", T), (None, T)]
)  # fmt: skip
def test_reminder_asks_unless_going(answer, asks):
    assert rules.reminder_asks(answer) is asks


@pytest.mark.parametrize(
    "closed_ago, too_old",
    [(dt.timedelta(hours=1), F), (dt.timedelta(days=3), F), (dt.timedelta(days=3, minutes=1), T)],
)
def test_late_nudge_dropped(closed_ago, too_old):
    now = dt.datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    assert rules.nudge_too_old(register_closed_at=now - closed_ago, now=now) is too_old


@pytest.mark.parametrize(
    "history, drifting",
    [
        ([F, F, T, T, T, T], T),  # regular, now missed two
        ([F, T, T, T], F),  # only one miss
        ([F, F, F, T, F, T, T], T),
        ([F, F, F, F], F),  # never came: not drifting, just not a regular
        ([F, F, T, F, F, F, F, F], F),  # came once in a long while: not a regular
        ([T, T, T], F),
        ([], F),
    ],
)
def test_drifting(history, drifting):
    assert rules.is_drifting(history) is drifting


def test_regular_needs_two_of_last_four():
    assert rules.is_regular([T, F, T, F])
    assert not rules.is_regular([T, F, F, F, T, T])

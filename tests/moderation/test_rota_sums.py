"""Who is on duty at given instants, across the October and March clock changes (table-driven).

The rota is in UK wall-clock time. 2026: the clocks go forward on Sunday 29 March at 01:00 UTC
(01:00 GMT becomes 02:00 BST) and back on Sunday 25 October at 01:00 UTC (02:00 BST becomes
01:00 GMT). Every instant below is written in UTC, so a wrong offset shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from moderation import rota

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
ALEX, BO, CAL, DEE = 1, 2, 3, 4

SHIFTS = [
    # Alex: Saturday night 22:00 to Sunday 07:00 (the night both changes happen).
    rota.ShiftRow(pk=10, person_id=ALEX, weekday=SAT, starts=time(22), ends=time(7)),
    # Bo: Sunday 07:00-15:00.
    rota.ShiftRow(pk=11, person_id=BO, weekday=SUN, starts=time(7), ends=time(15)),
    # Cal: Sunday 01:30-03:00, a start inside the hour March skips and October repeats.
    rota.ShiftRow(pk=12, person_id=CAL, weekday=SUN, starts=time(1, 30), ends=time(3)),
    # Dee: weekdays 09:00-17:00 (Monday and Tuesday here).
    rota.ShiftRow(pk=13, person_id=DEE, weekday=MON, starts=time(9), ends=time(17)),
    rota.ShiftRow(pk=14, person_id=DEE, weekday=TUE, starts=time(9), ends=time(17)),
    # Sunday 21:00 to Monday 01:00, across midnight and the week's end.
    rota.ShiftRow(pk=15, person_id=BO, weekday=SUN, starts=time(21), ends=time(1)),
]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (instant in UTC, who is on duty) — with no leave or swaps.
TABLE = [
    # --- March: Saturday 28th (GMT) into Sunday 29th (BST from 01:00 UTC) -----------------
    (utc(2026, 3, 28, 21, 59), set()),  # 21:59 GMT
    (utc(2026, 3, 28, 22, 0), {ALEX}),  # 22:00 GMT: Alex starts
    (utc(2026, 3, 29, 0, 59), {ALEX}),  # 00:59 GMT, the last minute before the change
    (utc(2026, 3, 29, 1, 0), {ALEX, CAL}),  # 02:00 BST: Cal's 01:30 never came, starts now
    (utc(2026, 3, 29, 1, 59), {ALEX, CAL}),  # 02:59 BST
    (utc(2026, 3, 29, 2, 0), {ALEX}),  # 03:00 BST: Cal ended at 03:00 wall time
    (utc(2026, 3, 29, 5, 59), {ALEX}),  # 06:59 BST
    (utc(2026, 3, 29, 6, 0), {BO}),  # 07:00 BST: Alex's night was an hour shorter
    (utc(2026, 3, 29, 13, 59), {BO}),  # 14:59 BST
    (utc(2026, 3, 29, 14, 0), set()),  # 15:00 BST
    (utc(2026, 3, 29, 20, 0), {BO}),  # 21:00 BST Sunday night
    (utc(2026, 3, 29, 23, 59), {BO}),  # 00:59 BST Monday
    (utc(2026, 3, 30, 0, 0), set()),  # 01:00 BST Monday: the overnight shift ended
    (utc(2026, 3, 30, 8, 0), {DEE}),  # 09:00 BST Monday
    (utc(2026, 3, 30, 7, 59), set()),  # 08:59 BST Monday
    (utc(2026, 3, 30, 16, 0), set()),  # 17:00 BST Monday
    # --- October: Saturday 24th (BST) into Sunday 25th (GMT from 01:00 UTC) ---------------
    (utc(2026, 10, 24, 20, 59), set()),  # 21:59 BST
    (utc(2026, 10, 24, 21, 0), {ALEX}),  # 22:00 BST: Alex starts
    (utc(2026, 10, 25, 0, 30), {ALEX, CAL}),  # 01:30 BST, the first of the two 01:30s
    (utc(2026, 10, 25, 1, 30), {ALEX, CAL}),  # 01:30 GMT, the second: still Cal's shift
    (utc(2026, 10, 25, 2, 59), {ALEX, CAL}),  # 02:59 GMT
    (utc(2026, 10, 25, 3, 0), {ALEX}),  # 03:00 GMT: Cal did two and a half hours
    (utc(2026, 10, 25, 6, 59), {ALEX}),  # 06:59 GMT: Alex's night is an hour longer
    (utc(2026, 10, 25, 7, 0), {BO}),  # 07:00 GMT
    (utc(2026, 10, 25, 15, 0), set()),  # 15:00 GMT
    (utc(2026, 10, 25, 21, 0), {BO}),  # 21:00 GMT
    (utc(2026, 10, 26, 1, 0), set()),  # 01:00 GMT Monday
    (utc(2026, 10, 26, 9, 0), {DEE}),  # 09:00 GMT Monday
    (utc(2026, 10, 26, 8, 59), set()),
    (utc(2026, 10, 27, 16, 59), {DEE}),  # 16:59 GMT Tuesday
    (utc(2026, 10, 27, 17, 0), set()),
    # --- an ordinary summer week, for contrast -------------------------------------------
    (utc(2026, 7, 6, 8, 0), {DEE}),  # Monday 09:00 BST
    (utc(2026, 7, 6, 7, 59), set()),
]


@pytest.mark.parametrize(("at", "expected"), TABLE, ids=[a.isoformat() for a, _ in TABLE])
def test_who_is_on_duty(at, expected):
    duties = rota.duties(SHIFTS, [], at, at)
    assert {d.person_id for d in rota.on_duty(duties, at)} == expected
    # The window does not matter: a whole week around the instant gives the same answer.
    week = rota.duties(SHIFTS, [], at - timedelta(days=3), at + timedelta(days=4))
    assert {d.person_id for d in rota.on_duty(week, at)} == expected


def test_shift_lengths_follow_the_clocks():
    span = {
        (d.day, d.shift_id): d.ends_at - d.starts_at
        for d in rota.duties(SHIFTS, [], utc(2026, 3, 20), utc(2026, 10, 30))
    }
    hours = {k: v.total_seconds() / 3600 for k, v in span.items()}
    assert hours[(date(2026, 3, 28), 10)] == 8  # 22:00 GMT to 07:00 BST
    assert hours[(date(2026, 3, 21), 10)] == 9
    assert hours[(date(2026, 10, 24), 10)] == 10  # 22:00 BST to 07:00 GMT
    assert hours[(date(2026, 3, 29), 12)] == 1  # from 02:00 BST (the skipped 01:30) to 03:00
    assert hours[(date(2026, 10, 25), 12)] == 2.5


# Leave and swaps: (changes, instant, on duty).
CHANGES = [
    # Dee on leave Monday 30 March, Cal covering.
    ([rota.ChangeRow("leave", DEE, CAL, date(2026, 3, 30), date(2026, 3, 30))],
     utc(2026, 3, 30, 10), {CAL}),
    # ...Tuesday is Dee again.
    ([rota.ChangeRow("leave", DEE, CAL, date(2026, 3, 30), date(2026, 3, 30))],
     utc(2026, 3, 31, 10), {DEE}),
    # Leave left uncovered: nobody.
    ([rota.ChangeRow("leave", DEE, None, date(2026, 3, 30), date(2026, 3, 31))],
     utc(2026, 3, 31, 10), set()),
    # Alex's Saturday night on 24 October swapped to Bo: Bo is on at 01:30 GMT Sunday (the
    # shift belongs to the Saturday it started on).
    ([rota.ChangeRow("swap", ALEX, BO, date(2026, 10, 24), date(2026, 10, 24), shift_id=10)],
     utc(2026, 10, 25, 1, 30), {BO, CAL}),
    # A swap wins over leave on the same day; other days of the leave stay with the cover.
    ([rota.ChangeRow("leave", DEE, CAL, date(2026, 3, 30), date(2026, 3, 31)),
      rota.ChangeRow("swap", DEE, ALEX, date(2026, 3, 31), date(2026, 3, 31), shift_id=14)],
     utc(2026, 3, 31, 10), {ALEX}),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "at", "expected"), CHANGES)
def test_leave_and_swaps(changes, at, expected):
    duties = rota.duties(SHIFTS, changes, at, at)
    assert {d.person_id for d in rota.on_duty(duties, at)} == expected


def test_until_next_and_gaps():
    at = utc(2026, 10, 25, 1, 30)
    on = rota.on_duty(rota.duties(SHIFTS, [], at, at), at)
    until = {d.person_id: d.ends_at for d in on}
    assert until == {ALEX: utc(2026, 10, 25, 7), CAL: utc(2026, 10, 25, 3)}

    quiet = utc(2026, 10, 25, 15, 30)  # Sunday afternoon: nobody till 21:00
    later = rota.duties(SHIFTS, [], quiet, utc(2026, 11, 2))
    nxt = rota.next_on(later, quiet)
    assert (nxt.person_id, nxt.starts_at) == (BO, utc(2026, 10, 25, 21))
    assert rota.next_on(later, quiet, exclude={BO}).person_id == DEE

    day = rota.duties(SHIFTS, [], utc(2026, 10, 25, 7), utc(2026, 10, 26, 12))
    assert rota.gaps(day, utc(2026, 10, 25, 7), utc(2026, 10, 26, 12)) == [
        (utc(2026, 10, 25, 15), utc(2026, 10, 25, 21)),
        (utc(2026, 10, 26, 1), utc(2026, 10, 26, 9)),
    ]


OVERLAPS = [
    (rota.ShiftRow(0, ALEX, SAT, time(20), time(23)), 10),  # runs into Alex's 22:00
    (rota.ShiftRow(0, ALEX, SUN, time(6), time(8)), 10),  # Alex's night ends at 07:00
    (rota.ShiftRow(0, ALEX, SAT, time(18), time(22)), None),  # ends as the night starts
    (rota.ShiftRow(0, ALEX, SUN, time(7), time(9)), None),
    (rota.ShiftRow(0, BO, MON, time(0), time(2)), 15),  # Bo's Sunday night into Monday
    (rota.ShiftRow(0, BO, SAT, time(23), time(8)), 11),  # into Bo's Sunday 07:00
    (rota.ShiftRow(0, DEE, SUN, time(23), time(10)), 13),  # Sunday night wraps to Monday
    (rota.ShiftRow(0, CAL, MON, time(9), time(17)), None),  # different person, same time
]


@pytest.mark.parametrize(("new", "clash"), OVERLAPS)
def test_overlaps_for_the_same_person(new, clash):
    found = rota.overlapping(new, SHIFTS)
    assert (found.pk if found else None) == clash

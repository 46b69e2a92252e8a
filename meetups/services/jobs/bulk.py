"""What both periodic jobs share: the set-based reads (members, RSVPs, registers and attendance
history, quiet hours) and the exactly-once delivery rows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import BigIntegerField, Exists, ExpressionWrapper, F, OuterRef

from groups.models import Membership

from ... import rules
from ...models import Attendance, Delivery, Occurrence, Rsvp


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


def _members(group_ids: set[int], *, day) -> dict[int, list[tuple[int, str, rules.Quiet]]]:
    """Active members per group: (user_id, role, their quiet hours), without facilitators
    away on `day` (they hear nothing from the group meanwhile). One query."""
    out: dict[int, list[tuple[int, str, rules.Quiet]]] = defaultdict(list)
    quiet = _QuietOf()
    for uid, gid, role, *q in _values(
        Membership.objects.filter(group_id__in=group_ids, status=Membership.Status.ACTIVE)
        .filter(user__is_active=True)
        .not_away(day)
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

"""After a register closes: "we missed you" to the members who didn't come, and a "check in
personally" suggestion to the facilitators at the third miss in a row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.models import Membership
from notifications.models import Kind
from notifications.services import Note, notify_many

from ... import rules, text
from ...models import Attendance, Delivery, MeetupPrefs, Occurrence
from ..common import occurrence_url
from ..register import AUTO_CLOSE_AFTER
from .bulk import (
    _QUIET_FIELDS,
    JobResult,
    _history,
    _insert_deliveries,
    _lookback_start,
    _pair,
    _QuietHours,
    _QuietOf,
    _rsvps,
    _values,
)


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
    """Read what the rules need (a fixed number of queries), decide in memory, insert the
    delivery rows, and notify only the rows this run inserted."""
    inputs = _nudge_inputs(occs, candidates, now)
    rows = _nudge_rows(occs, inputs, _QuietHours(now), result)
    inserted = _insert_deliveries(rows, now)
    if not inserted:
        return
    notify_many(_nudge_notes(inserted, occs, inputs.members, now, result))


@dataclass
class _NudgeInputs:
    """Everything the nudge rules read about the members who missed a candidate meetup."""

    #: Per group, recent meetups with a register taken, newest first (their ids).
    history: dict[int, list[int]]
    #: Who attended those, as `_pair`s.
    attended: set[int]
    #: Per group, the absentees: (user_id, role, their quiet hours).
    members: dict[int, list[tuple[int, str, rules.Quiet]]]
    #: RSVPs to the candidate meetups, keyed by `_pair`.
    rsvps: dict[int, tuple[str, bool]]
    #: (user_id, group_id) of members who turned nudges off in that group.
    opted_out: set[tuple[int, int]]
    #: Per member, the meetups they had a nudge about lately, in any group.
    nudged_recently: dict[int, set[int]]


def _nudge_inputs(occs: list[Occurrence], candidates, now: datetime) -> _NudgeInputs:
    """One read of everything, for every candidate meetup at once."""
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
    return _NudgeInputs(history, attended, members, rsvps, opted_out, nudged_recently)


def _nudge_rows(
    occs: list[Occurrence], inputs: _NudgeInputs, quiet: _QuietHours, result: JobResult
) -> list[tuple[str, int, int, int]]:
    """The rules' decisions, in memory: a (kind, occurrence_id, user_id, group_id) delivery
    row for each nudge or suggestion due now; those held for the morning count as deferred."""
    facilitator = Membership.Role.FACILITATOR
    rows = []
    nudging: set[int] = set()  # members getting a nudge from this run: the cap holds here too
    # Newest first, so a member who missed several meetups hears about the latest one.
    for occ in sorted(occs, key=lambda o: (o.starts_at, o.pk), reverse=True):
        ids = inputs.history.get(occ.group_id, [])
        if occ.pk not in ids:
            continue  # nobody took this register: never guess who was missing
        previous = ids[ids.index(occ.pk) + 1 :][: rules.EXPECTED_LOOKBACK + 2]
        for uid, role, hours in inputs.members.get(occ.group_id, []):
            if _pair(occ.pk, uid) in inputs.attended or role == facilitator:
                continue  # they came (or run the group): nothing to decide
            action = rules.nudge_action(_nudge_facts(occ, uid, previous, inputs, nudging))
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
    return rows


def _nudge_facts(
    occ: Occurrence, uid: int, previous: list[int], inputs: _NudgeInputs, nudging: set[int]
) -> rules.NudgeFacts:
    """What `rules.nudge_action` needs about one member who missed `occ`."""
    answer, waitlisted = inputs.rsvps.get(_pair(occ.pk, uid), (None, False))
    recent_other = inputs.nudged_recently.get(uid)
    return rules.NudgeFacts(
        attended=False,
        previous_attended=[_pair(oid, uid) in inputs.attended for oid in previous],
        answer=answer,
        waitlisted=waitlisted,
        opted_out=(uid, occ.group_id) in inputs.opted_out,
        nudged_recently=uid in nudging or bool(recent_other and recent_other - {occ.pk}),
        is_facilitator=False,
    )


def _nudge_notes(
    inserted: list[tuple[str, int, int]],
    occs: list[Occurrence],
    members: dict[int, list[tuple[int, str, rules.Quiet]]],
    now: datetime,
    result: JobResult,
) -> list[Note]:
    """The notifications for the delivery rows this run inserted: a "we missed you" to each
    member, and one suggestion per meetup to each of its group's facilitators."""
    occ_by_id = {occ.pk: occ for occ in occs}
    nudged: dict[int, list[int]] = defaultdict(list)
    suggested: dict[int, list[int]] = defaultdict(list)
    for kind, oid, uid in inserted:
        (nudged if kind == Delivery.Kind.NUDGE else suggested)[oid].append(uid)
    zones = {uid: q.time_zone for people in members.values() for uid, _role, q in people}
    notes = _missed_you_notes(nudged, occ_by_id, zones, now, result)
    notes += _suggestion_notes(suggested, occ_by_id, result, now)
    return notes


def _missed_you_notes(
    nudged: dict[int, list[int]],
    occ_by_id: dict[int, Occurrence],
    zones: dict[int, str],
    now: datetime,
    result: JobResult,
) -> list[Note]:
    """A "we missed you" to each member in `nudged` (meetup -> members), on their clock, naming
    their group's next meetup. One query, none if nobody is nudged."""
    next_meetups: dict[int, Occurrence] = {}
    if nudged:
        next_meetups = _next_meetups({occ_by_id[oid].group_id for oid in nudged}, now)
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
    return notes


def _next_meetups(group_ids: set[int], now: datetime) -> dict[int, Occurrence]:
    """Each group's next meetup in the coming fortnight or so. One query."""
    next_meetups: dict[int, Occurrence] = {}
    for nxt in Occurrence.objects.filter(
        group_id__in=group_ids,
        status=Occurrence.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=15),
    ).order_by("starts_at"):
        next_meetups.setdefault(nxt.group_id, nxt)
    return next_meetups


def _suggestion_notes(
    suggested: dict[int, list[int]],
    occ_by_id: dict[int, Occurrence],
    result: JobResult,
    now: datetime,
) -> list[Note]:
    """One "time for a personal hello" per meetup in `suggested` (meetup -> members who missed
    three in a row) to each of its group's facilitators. Two queries, none if nobody."""
    if not suggested:
        return []
    names = _public_names([uid for uids in suggested.values() for uid in uids])
    facilitators = _facilitators_by_group(
        {occ_by_id[oid].group_id for oid in suggested}, day=timezone.localdate(now)
    )
    notes: list[Note] = []
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
    return notes


def _public_names(user_ids: list[int]) -> dict[int, str]:
    """The name other members see, per user. One query."""
    from accounts.models import User

    return {u.pk: u.public_name for u in User.objects.filter(pk__in=user_ids).only("display_name")}


def _facilitators_by_group(group_ids: set[int], *, day) -> dict[int, list[int]]:
    """The active facilitators of these groups who aren't away on `day`, per group (the
    co-facilitator covering is one of them). One query."""
    facilitators: dict[int, list[int]] = defaultdict(list)
    for uid, gid in (
        Membership.objects.facilitators()
        .filter(group_id__in=group_ids, user__is_active=True)
        .not_away(day)
        .values_list("user_id", "group_id")
    ):
        facilitators[gid].append(uid)
    return facilitators


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

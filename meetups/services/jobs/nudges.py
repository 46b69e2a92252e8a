"""After a register closes: "we missed you" to the members who didn't come, and a "check in
personally" suggestion to the facilitators at the third miss in a row."""

from __future__ import annotations

from collections import defaultdict
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

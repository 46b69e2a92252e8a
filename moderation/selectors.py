"""Reads for the moderation pages. Joins are explicit so page query counts stay constant."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import Message
from groups.models import Membership
from groups.permissions import Action, can_site, queue_scope

from .models import (
    SUPPORTIVE_CLOSES,
    Appeal,
    AuditEntry,
    Case,
    CaseNote,
    CaseReferral,
    Complaint,
    CrisisPhrase,
    Helpline,
    ModAction,
    Reason,
    Report,
    WatchTerm,
)

#: Not decisions about a member: never in their history, their decisions or their export.
NOT_DECISIONS = [ModAction.Kind.DISMISS, ModAction.Kind.APPROVE, *sorted(SUPPORTIVE_CLOSES)]

CONTEXT_BEFORE = 3
CONTEXT_AFTER = 2


FACILITATOR_FLAG_SECONDS = 6 * 3600


def _facilitator_flag_key(user_id: int) -> str:
    return f"moderation:facilitates:{user_id}"


def facilitates_any_group(user_id: int) -> bool:
    """Is this user an active facilitator of any group? Cached per user: one light query on
    a miss, none after. `forget_facilitator_flag` drops it whenever a membership changes."""
    key = _facilitator_flag_key(user_id)
    flag = cache.get(key)
    if flag is None:
        return refresh_facilitator_flag(user_id)
    return bool(flag)


def refresh_facilitator_flag(user_id: int) -> bool:
    flag = int(Membership.objects.facilitators().filter(user_id=user_id).exists())
    cache.set(_facilitator_flag_key(user_id), flag, FACILITATOR_FLAG_SECONDS)
    return bool(flag)


def forget_facilitator_flag(user_id: int) -> None:
    cache.delete(_facilitator_flag_key(user_id))


@dataclass
class QueueItem:
    case: Case
    reports: list[Report]
    reasons: list[tuple[str, int]]
    context: list[Message] = field(default_factory=list)
    history: list[ModAction] = field(default_factory=list)
    waited: timedelta = timedelta(0)
    message_state: str = ""  # what happened to the message, truthfully (see _state_labels)
    referral: CaseReferral | None = None  # with the safeguarding lead since
    note_count: int = 0


def _scoped_cases(user):
    site, groups = queue_scope(user)
    qs = Case.objects.all()
    if not site:
        qs = qs.filter(group_id__in=groups)
    return qs


def queue_items(user, *, limit: int = 50) -> list[QueueItem]:
    """Open items the user may act on, urgent first, then the longest waiting."""
    cases = list(
        _scoped_cases(user)
        .filter(status=Case.Status.OPEN)
        .select_related(
            "group", "message", "message__author", "message__room", "subject", "referral"
        )
        .select_related("acknowledged_by")
        .prefetch_related(Prefetch("reports", queryset=Report.objects.order_by("created_at", "id")))
        .annotate(note_count=Count("notes"))
        .order_by("-urgent", "opened_at", "id")[:limit]
    )
    # Context: a few messages around each reported one, from that room only, in one query.
    around = Q()
    for case in cases:
        if case.message_id:
            m = case.message
            around |= Q(room_id=m.room_id, seq__gte=m.seq - 40, seq__lte=m.seq + 40)
    context_by_room: dict[int, list[Message]] = {}
    if around:
        for msg in (
            Message.objects.filter(around)
            .filter(deleted_at__isnull=True)
            .select_related("author")
            .order_by("room_id", "seq")
        ):
            context_by_room.setdefault(msg.room_id, []).append(msg)
    subject_ids = {c.subject_id for c in cases if c.subject_id}
    history: dict[int | None, list[ModAction]] = {}
    if subject_ids:
        for action in (
            ModAction.objects.filter(target_id__in=subject_ids)
            .exclude(kind__in=NOT_DECISIONS)
            .select_related("group")
            .order_by("-created_at")
        ):
            history.setdefault(action.target_id, []).append(action)
    state_labels = _state_labels([c.message for c in cases if c.message_id])
    now = timezone.now()
    reason_labels = dict(Reason.choices)
    items = []
    for case in cases:
        reports = list(case.reports.all())
        counts: dict[str, int] = {}
        for r in reports:
            counts[r.reason] = counts.get(r.reason, 0) + 1
        context: list[Message] = []
        if case.message_id:
            room_msgs = context_by_room.get(case.message.room_id, [])
            idx = next((i for i, m in enumerate(room_msgs) if m.pk == case.message_id), None)
            if idx is not None:
                context = room_msgs[max(0, idx - CONTEXT_BEFORE) : idx + CONTEXT_AFTER + 1]
        items.append(
            QueueItem(
                case=case,
                reports=reports,
                reasons=[(str(reason_labels.get(k, k)), n) for k, n in counts.items()],
                context=context,
                history=history.get(case.subject_id, [])[:5],
                waited=now - case.opened_at,
                message_state=state_labels.get(case.message_id, ""),
                referral=getattr(case, "referral", None),
                note_count=case.note_count,
            )
        )
    return items


def _state_labels(messages: list[Message]) -> dict[int, str]:
    """Label each message by who changed it: a hidden message is a moderator's doing only while
    a moderator's hide stands; otherwise reports or a facilitator's report hid it on their own.
    One query, and only when some message is hidden."""
    hidden = [m.pk for m in messages if m.state == Message.State.HIDDEN]
    by_hand = set()
    if hidden:
        by_hand = set(
            ModAction.objects.filter(
                message_id__in=hidden, kind=ModAction.Kind.HIDE, reversed_at__isnull=True
            ).values_list("message_id", flat=True)
        )
    labels = {}
    for m in messages:
        if m.state == Message.State.HIDDEN and m.pk not in by_hand:
            labels[m.pk] = _("Hidden automatically while a moderator looks at it")
        elif m.state == Message.State.HELD:
            labels[m.pk] = _("Held automatically while a moderator looks at it")
        else:
            labels[m.pk] = m.get_state_display()
    return labels


def appeals_waiting(user) -> list[Appeal]:
    """Pending appeals this moderator may decide (never their own decisions)."""
    if not can_site(user, Action.DECIDE_APPEAL):
        return []
    return list(
        Appeal.objects.filter(status=Appeal.Status.PENDING)
        .exclude(action__actor=user)
        .exclude(appellant=user)
        .select_related("action", "action__group", "appellant")
        .order_by("created_at")[:50]
    )


def audit_page(
    *,
    event: str = "",
    group_id: int | None = None,
    actor_id: int | None = None,
    who: str = "",
    case_id: int | None = None,
    since=None,
    until=None,
):
    """The audit log, newest first, filtered by what, where, who, which item and when."""
    qs = AuditEntry.objects.select_related("actor", "group").order_by("-created_at", "-id")
    if event:
        qs = qs.filter(event=event)
    if group_id:
        qs = qs.filter(group_id=group_id)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if who.strip():
        qs = qs.filter(actor__display_name__icontains=who.strip())
    if case_id:
        qs = qs.filter(case_id_ref=case_id)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


def complaints_by(user):
    """A member's own complaints, newest first, with their answers."""
    return Complaint.objects.filter(complainant=user)


def decisions_about(user) -> list[ModAction]:
    return list(
        ModAction.objects.filter(target=user, kind__in=list(ModAction.Kind.values))
        .exclude(kind__in=NOT_DECISIONS)
        .select_related("group", "appeal")
        .order_by("-created_at")
    )


def human_duration(value: timedelta) -> str:
    from django.utils.translation import ngettext

    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} + (
            " " + ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
            if minutes
            else ""
        )
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def moderation_figures(*, weeks: int = 8) -> dict[str, Any]:
    now = timezone.now()
    open_items = Case.objects.filter(status=Case.Status.OPEN).count()
    open_urgent = Case.objects.filter(status=Case.Status.OPEN, urgent=True).count()
    since = now - timedelta(days=90)
    waits = [
        (first - opened).total_seconds()
        for opened, first in Case.objects.filter(
            first_action_at__isnull=False, opened_at__gte=since
        ).values_list("opened_at", "first_action_at")
    ]
    median = human_duration(timedelta(seconds=statistics.median(waits))) if waits else None
    start = now - timedelta(weeks=weeks)
    rows = (
        Report.objects.filter(created_at__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "reason")
        .annotate(n=Count("id"))
        .order_by("week", "reason")
    )
    labels = dict(Reason.choices)
    by_week: dict[Any, dict[str, int]] = {}
    for row in rows:
        week = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        by_week.setdefault(week, {})[row["reason"]] = row["n"]
    table = [
        {
            "week": week,
            "counts": [counts.get(r, 0) for r in Reason.values],
            "total": sum(counts.values()),
        }
        for week, counts in sorted(by_week.items(), reverse=True)
    ]
    return {
        "open_items": open_items,
        "open_urgent": open_urgent,
        "median_first_action": median,
        "handled_count": len(waits),
        "reasons": [labels[r] for r in Reason.values],
        "weeks": table,
        **alert_figures(now=now, since=since),
    }


def alert_figures(*, now, since) -> dict[str, Any]:
    """Urgent alerts since `since`: how many by hour of day (UK time), the median time to
    "I've got this", how many climbed the ladder or needed reminders, and the shifts nobody
    covers next week. Two queries plus the rota's."""
    from . import rota

    rows = list(
        Case.objects.filter(urgent=True, opened_at__gte=since).values_list(
            "opened_at", "acknowledged_at", "ladder_step", "escalations"
        )
    )
    by_hour = [0] * 24
    for opened, *_rest in rows:
        by_hour[timezone.localtime(opened, rota.UK).hour] += 1
    acks = [(ack - opened).total_seconds() for opened, ack, *_rest in rows if ack]
    peak = max(by_hour) or 1
    return {
        "alerts": len(rows),
        "alerts_by_hour": [
            {"hour": h, "n": n, "percent": round(100 * n / peak)} for h, n in enumerate(by_hour)
        ],
        "median_ack": human_duration(timedelta(seconds=statistics.median(acks))) if acks else None,
        "acked": len(acks),
        "escalated": sum(1 for _o, _a, step, reminders in rows if step or reminders),
        "uncovered_next_week": uncovered_next_week(now=now),
    }


def access_case(user, *, case_id: int, action: Action = Action.VIEW_GROUP_QUEUE) -> Case:
    """A queue item (open or closed) the user may take `action` on, or Http404: "no such
    item" and "not yours" are the same answer."""
    from django.http import Http404

    from groups.permissions import can, membership_for

    case = (
        Case.objects.select_related("group", "message", "message__author", "subject", "referral")
        .select_related("referral__passed_by", "handled_by", "acknowledged_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not can(user, action, case.group, membership_for(user, case.group)):
        raise Http404("No such item.")
    return case


@dataclass
class TimelineEntry:
    when: Any
    what: str
    who: str = ""
    text: str = ""
    note: bool = False  # a private case note


def case_timeline(case: Case) -> list[TimelineEntry]:
    """The item's story, oldest first: what was reported (never by whom), the private notes,
    passing it to the safeguarding lead, and the decisions."""
    former = _("a former moderator")
    reason_labels = dict(Reason.choices)
    entries = [TimelineEntry(when=case.opened_at, what=case.get_kind_display())]
    for r in Report.objects.filter(case=case).order_by("created_at", "id"):
        entries.append(
            TimelineEntry(
                when=r.created_at,
                what=_("Reported: %(reason)s") % {"reason": reason_labels.get(r.reason, r.reason)},
                text=r.note,
            )
        )
    for n in CaseNote.objects.filter(case=case).select_related("author"):
        who = n.author.public_name if n.author else former
        entries.append(
            TimelineEntry(when=n.created_at, what=_("Note"), who=who, text=n.body, note=True)
        )
    referral = getattr(case, "referral", None)
    if referral is not None:
        who = referral.passed_by.public_name if referral.passed_by else former
        entries.append(
            TimelineEntry(
                when=referral.created_at, what=_("Passed to the safeguarding lead"), who=who
            )
        )
    for a in ModAction.objects.filter(case=case).select_related("actor"):
        who = a.actor.public_name if a.actor else former
        entries.append(
            TimelineEntry(when=a.created_at, what=a.get_kind_display(), who=who, text=a.reason)
        )
    entries.sort(key=lambda e: e.when)
    return entries


# --- what the pages read (views never query the models themselves) -----------------------------


def memberships_in(user, *, group_ids) -> dict[int, Membership]:
    """The user's own membership rows in these groups, by group id (one query)."""
    return {m.group_id: m for m in Membership.objects.filter(user=user, group_id__in=group_ids)}


def concern_groups(user) -> list:
    """The groups a member may raise a concern in: their own active ones, by name."""
    memberships = (
        Membership.objects.active()
        .filter(user=user)
        .select_related("group")
        .order_by("group__name")
    )
    return [m.group for m in memberships]


def concern_subjects(*, group, exclude_user):
    """The other active members of `group`, whom a concern may be about, by name."""
    return (
        Membership.objects.active()
        .filter(group=group)
        .exclude(user=exclude_user)
        .select_related("user")
        .order_by("user__display_name")
    )


def helplines_active():
    return Helpline.objects.filter(active=True)


def helplines_all():
    return Helpline.objects.all()


def helpline_get(pk: int) -> Helpline:
    return get_object_or_404(Helpline, pk=pk)


def complaint_list():
    return Complaint.objects.select_related("handled_by")


def complaint_get(pk: int) -> Complaint:
    return get_object_or_404(Complaint, pk=pk)


def decision_for(user, *, action_id: int) -> tuple[ModAction, Appeal | None]:
    """A decision about `user` (and its appeal, if any), or Http404: another member's
    decisions are no more theirs to see than ones that do not exist."""
    from django.http import Http404

    action = (
        ModAction.objects.select_related("group", "message")
        .filter(pk=action_id, target=user)
        .first()
    )
    if action is None:
        raise Http404("No such decision.")
    return action, Appeal.objects.filter(action=action).first()


def appeal_get(pk: int) -> Appeal:
    """An appeal with what a decider reads alongside it. The caller has asked
    `require_site(user, Action.DECIDE_APPEAL)`."""
    qs = Appeal.objects.select_related("action", "action__group", "action__message", "appellant")
    return get_object_or_404(qs, pk=pk)


def watch_terms():
    return WatchTerm.objects.all()


def crisis_phrases():
    return CrisisPhrase.objects.all()


# --- the rota ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    user_id: int
    name: str
    until: Any  # aware datetime


@dataclass(frozen=True)
class DutyStatus:
    """What the pages say about who is on duty. `has_rota` is False until staff set one up:
    then Village claims nothing about hours (it cannot know)."""

    has_rota: bool
    on: list[OnDuty]
    back_at: Any = None  # when someone is next on, if nobody is now (within a week)

    @property
    def nobody_on(self) -> bool:
        return self.has_rota and not self.on

    def back_words(self, now=None) -> str:
        """ "at 09:00", "tomorrow at 09:00", "on Monday at 09:00", on the reader's clock (the
        active time zone); empty if nobody is on the rota within the week."""
        from django.utils.formats import date_format

        if not self.back_at:
            return ""
        now = timezone.localtime(now or timezone.now())
        back = timezone.localtime(self.back_at)
        at = date_format(back, "TIME_FORMAT")
        days = (back.date() - now.date()).days
        if days == 0:
            return _("at %(time)s") % {"time": at}
        if days == 1:
            return _("tomorrow at %(time)s") % {"time": at}
        return _("on %(day)s at %(time)s") % {"day": date_format(back, "l"), "time": at}


def _rota_moderators():
    from groups.permissions import site_moderators

    return site_moderators().values("pk")


def rota_rows(*, start, end) -> tuple[list, list]:
    """The moderators' weekly shifts and the one-off changes touching [start, end). Two
    queries. Shifts of someone no longer a moderator do not count."""
    from . import rota
    from .models import RotaChange, Shift

    shifts = [
        rota.ShiftRow(pk=pk, person_id=p, weekday=w, starts=s, ends=e)
        for pk, p, w, s, e in Shift.objects.filter(
            group__isnull=True, person__in=_rota_moderators()
        ).values_list("pk", "person_id", "weekday", "starts", "ends")
    ]
    first = timezone.localtime(start, rota.UK).date() - timedelta(days=1)
    last = timezone.localtime(end, rota.UK).date()
    changes = [
        rota.ChangeRow(kind=k, person_id=p, cover_id=c, starts_on=s, ends_on=e, shift_id=sh)
        for k, p, c, s, e, sh in RotaChange.objects.filter(
            starts_on__lte=last, ends_on__gte=first
        ).values_list("kind", "person_id", "cover_id", "starts_on", "ends_on", "shift_id")
    ]
    return shifts, changes


def rota_duties(*, start, end) -> list:
    from . import rota

    shifts, changes = rota_rows(start=start, end=end)
    return rota.duties(shifts, changes, start, end)


def _names(user_ids) -> dict[int, str]:
    from accounts.models import User

    return {u.pk: u.public_name for u in User.objects.filter(pk__in=set(user_ids))}


def duty_status(*, now=None, names: bool = True) -> DutyStatus:
    """Who is on duty now and until when, or when someone is back. Three or four queries."""
    from . import rota
    from .models import Shift

    now = now or timezone.now()
    if not Shift.objects.filter(group__isnull=True).exists():
        return DutyStatus(has_rota=False, on=[])
    all_duties = rota_duties(start=now, end=now + timedelta(days=8))
    on = rota.on_duty(all_duties, now)
    known = _names(d.person_id for d in on) if names and on else {}
    people = [OnDuty(d.person_id, known.get(d.person_id, ""), d.ends_at) for d in on]  # type: ignore[arg-type]
    back = None if on else rota.next_on(all_duties, now)
    return DutyStatus(has_rota=True, on=people, back_at=back.starts_at if back else None)


def on_duty_ids(*, now) -> list[int] | None:
    """The moderators on duty at `now`, or None when there is no rota at all."""
    status = duty_status(now=now, names=False)
    return [p.user_id for p in status.on] if status.has_rota else None


def next_on_duty_id(*, after, exclude=()) -> int | None:
    """The next moderator to come on duty after `after` (not one of `exclude`)."""
    from . import rota

    duty = rota.next_on(rota_duties(start=after, end=after + timedelta(days=8)), after, exclude)
    return duty.person_id if duty else None


def rota_week(*, now=None) -> dict[str, Any]:
    """The rota page: the weekly shifts by day, the one-off changes still to come, who is on
    now, and the coming week's gaps and uncovered shifts."""
    from . import rota
    from .models import RotaChange, Shift

    now = now or timezone.now()
    shifts = list(
        Shift.objects.filter(group__isnull=True)
        .select_related("person")
        .order_by("weekday", "starts", "pk")
    )
    changes = list(
        RotaChange.objects.filter(ends_on__gte=timezone.localdate(now))
        .select_related("person", "cover", "shift")
        .order_by("starts_on", "pk")
    )
    ahead = rota_duties(start=now, end=now + timedelta(days=7))
    return {
        "shifts": shifts,
        "changes": changes,
        "status": duty_status(now=now),
        "gaps": rota.gaps(ahead, now, now + timedelta(days=7)) if shifts else [],
        "uncovered": [d for d in ahead if d.person_id is None],
        "names": _names([d.rostered_id for d in ahead if d.person_id is None]),
    }


def uncovered_next_week(*, now=None) -> list:
    """Duties in the next seven days with nobody on them (leave left uncovered)."""
    now = now or timezone.now()
    return [d for d in rota_duties(start=now, end=now + timedelta(days=7)) if d.person_id is None]


def facilitator_activity(*, since, day) -> dict[int, dict[str, Any]]:
    """Per group: is any facilitator active (not away on `day`, and logged in or took a
    register since `since`), how many facilitators it has, and its facilitators' last
    activity. Two queries, whatever the number of groups. A facilitator away with a
    co-facilitator covering is not counted; the co-facilitator counts on their own."""
    from django.db.models import Max

    from meetups.models import Occurrence

    out: dict[int, dict[str, Any]] = {}
    registers = {
        (row["group_id"], row["register_closed_by"]): row["last"]
        for row in Occurrence.objects.filter(register_closed_by__isnull=False)
        .values("group_id", "register_closed_by")
        .annotate(last=Max("register_closed_at"))
    }
    away_today = set(
        Membership.objects.facilitators()
        .exclude(pk__in=Membership.objects.not_away(day).values("pk"))
        .values_list("pk", flat=True)
    )
    for pk, gid, uid, login, active in Membership.objects.facilitators().values_list(
        "pk", "group_id", "user_id", "user__last_login", "user__is_active"
    ):
        info = out.setdefault(gid, {"active": False, "last": None, "facilitators": 0})
        info["facilitators"] += 1
        times = [t for t in (login, registers.get((gid, uid))) if t]
        last = max(times, default=None)
        if last and (info["last"] is None or last > info["last"]):
            info["last"] = last
        if active and pk not in away_today and last and last >= since:
            info["active"] = True
    return out


def cover_page(*, group, user) -> dict[str, Any]:
    """A facilitator's cover page: their own hours for the group, their away dates still to
    come, and the co-facilitators who could cover."""
    from groups.models import FacilitatorAway

    from .models import Shift

    return {
        "hours": list(Shift.objects.filter(group=group, person=user)),
        "aways": list(
            FacilitatorAway.objects.filter(
                group=group, membership__user=user, ends_on__gte=timezone.localdate()
            ).select_related("cover")
        ),
        "co_facilitators": list(
            Membership.objects.facilitators()
            .filter(group=group)
            .exclude(user=user)
            .select_related("user")
            .order_by("user__display_name")
        ),
    }


def group_hours(*, group) -> list:
    """The facilitators' own hours for a group, for its members to see."""
    from .models import Shift

    return list(Shift.objects.filter(group=group).select_related("person"))


def helpline_any_time():
    """A helpline open day and night, for "if you need help now" (the first listed whose
    hours say 24 hours), or None."""
    return helplines_active().filter(hours__icontains="24").order_by("order", "pk").first()


def honest_hours() -> dict[str, Any]:
    """What the member-facing pages need to say about hours: nothing unless there is a rota
    and nobody is on duty now; then when someone is back and a helpline open now."""
    status = duty_status(names=False)
    if not status.nobody_on:
        return {"nobody_on": False}
    return {
        "nobody_on": True,
        "back": status.back_words(),
        "helpline": helpline_any_time(),
    }


# --- the public transparency page ------------------------------------------------------------


def transparency_quarters() -> list[dict[str, Any]]:
    """The stored quarters (newest first), ready to show: each figure as words ("fewer than
    5") and each chart row with its bar's width as a share of the quarter's largest."""
    from .models import TransparencyQuarter

    reason_labels = dict(Reason.choices)
    appeal_labels = {
        Appeal.Status.PENDING: _("Still being decided"),
        Appeal.Status.UPHELD: _("Decision kept"),
        Appeal.Status.REVERSED: _("Decision reversed"),
    }
    complaint_labels = dict(Complaint.Status.choices)
    out = []
    for row in TransparencyQuarter.objects.order_by("-year", "-quarter"):
        f = row.figures
        k = f.get("min_count", 5)
        out.append(
            {
                "row": row,
                "label": _("%(year)s, quarter %(q)s") % {"year": row.year, "q": row.quarter},
                "k": k,
                "figures": f,
                "reports_total": _shown(f.get("reports_total"), k),
                "reasons": _bars(f.get("reports_by_reason", {}), reason_labels, k),
                "median_first_action": _duration(f.get("median_first_action_seconds")),
                "acted_on_percent": f.get("acted_on_percent"),
                "reported_items": _shown(f.get("reported_items"), k),
                "appeals_total": _shown(f.get("appeals_total"), k),
                "appeals": _bars(f.get("appeals_by_outcome", {}), appeal_labels, k),
                "complaints_total": _shown(f.get("complaints_total"), k),
                "complaints": _bars(f.get("complaints_by_outcome", {}), complaint_labels, k),
                "urgent_total": _shown(f.get("urgent_total"), k),
                "urgent_median": _duration(f.get("urgent_median_ack_seconds")),
                "urgent_is_ack": f.get("urgent_ack_measure") == "acknowledged",
            }
        )
    return out


def _shown(n: int | None, k: int) -> str:
    return str(n) if n is not None else _("fewer than %(k)s") % {"k": k}


def _duration(seconds: int | None) -> str | None:
    return human_duration(timedelta(seconds=seconds)) if seconds is not None else None


def _bars(counts: dict[str, int | None], labels: dict, k: int) -> list[dict[str, Any]]:
    """Chart rows: a suppressed count draws a bar as long as k - 1 would (never its value)."""
    values = {key: (n if n is not None else k - 1) for key, n in counts.items()}
    top = max(values.values(), default=0) or 1
    return [
        {
            "label": labels.get(key, key),
            "shown": _shown(counts[key], k),
            "percent": round(100 * values[key] / top),
        }
        for key in counts
    ]

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
    history: dict[int, list[ModAction]] = {}
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
                reasons=[(reason_labels.get(k, k), n) for k, n in counts.items()],
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
    }


def access_case(user, *, case_id: int, action: Action = Action.VIEW_GROUP_QUEUE) -> Case:
    """A queue item (open or closed) the user may take `action` on, or Http404: "no such
    item" and "not yours" are the same answer."""
    from django.http import Http404

    from groups.permissions import can, membership_for

    case = (
        Case.objects.select_related("group", "message", "message__author", "subject", "referral")
        .select_related("referral__passed_by", "handled_by")
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

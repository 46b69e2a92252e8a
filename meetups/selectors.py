"""Reads the meetup pages need, with explicit joins so query counts stay constant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from groups.models import Group, Membership

from . import rules
from .models import (
    Attendance,
    CalendarFeed,
    GroupCalendarFeed,
    MeetupPrefs,
    MeetupSeries,
    Occurrence,
    Rsvp,
)

GOING = Q(rsvps__answer=Rsvp.Answer.GOING, rsvps__waitlist_position__isnull=True)


def occurrence_get(*, group: Group, pk: int) -> Occurrence:
    """An occurrence of this group, or 404 (never another group's)."""
    occ = (
        Occurrence.objects.filter(group=group, pk=pk)
        .select_related("series")
        .annotate(going=Count("rsvps", filter=GOING))
        .first()
    )
    if occ is None:
        raise Http404("No such meetup.")
    occ.group = group
    return occ


def series_get(*, group: Group, pk: int) -> MeetupSeries:
    series = MeetupSeries.objects.filter(group=group, pk=pk).first()
    if series is None:
        raise Http404("No such meetup series.")
    return series


def _with_my_rsvp(qs, user):
    uid = user.pk if user.is_authenticated else None
    return qs.annotate(going=Count("rsvps", filter=GOING)).prefetch_related(
        Prefetch("rsvps", queryset=Rsvp.objects.filter(user_id=uid), to_attr="mine")
    )


def upcoming(
    *, group: Group, user, now: datetime | None = None, weeks: int = 8
) -> list[Occurrence]:
    """The coming weeks, with the going count and this member's answer. Two queries; when
    nothing is planned in those weeks but something is later (a series planned months ahead),
    the weeks from that first meetup instead, in three more."""
    now = now or timezone.now()
    coming = Occurrence.objects.filter(group=group, ends_at__gt=now)
    qs = coming.filter(starts_at__lte=now + timedelta(weeks=weeks)).order_by("starts_at")
    rows = list(_with_my_rsvp(qs, user))
    if not rows:
        first = coming.order_by("starts_at").values_list("starts_at", flat=True).first()
        if first is not None:
            qs = coming.filter(starts_at__lte=first + timedelta(weeks=weeks)).order_by("starts_at")
            rows = list(_with_my_rsvp(qs, user))
    for occ in rows:
        occ.group = group
        occ.my_rsvp = occ.mine[0] if occ.mine else None
    return rows


def series_first_coming(*, series: MeetupSeries, now: datetime | None = None) -> Occurrence | None:
    """The first meetup of a series still to come (what a facilitator is told when planning
    it). One query."""
    now = now or timezone.now()
    return (
        series.occurrences.scheduled().filter(ends_at__gt=now).order_by("starts_at", "id").first()
    )


def next_occurrence(
    *, group: Group, user, now: datetime | None = None, after: datetime | None = None
) -> Occurrence | None:
    """The next meetup still to come (or still going on, until its register closes); `after`:
    starting after then."""
    now = now or timezone.now()
    qs = Occurrence.objects.filter(
        group=group,
        status=Occurrence.Status.SCHEDULED,
        ends_at__gt=now,
        register_closed_at__isnull=True,
    )
    if after is not None:
        qs = qs.filter(starts_at__gt=after)
    qs = qs.order_by("starts_at")[:1]
    rows = list(_with_my_rsvp(qs, user))
    if not rows:
        return None
    occ = rows[0]
    occ.group = group
    occ.my_rsvp = occ.mine[0] if occ.mine else None
    return occ


def register_is_empty(*, occurrence: Occurrence) -> bool:
    """Nobody ticked, walk-ins included: no "we missed you" goes out for such a register."""
    return not Attendance.objects.filter(occurrence=occurrence).exists()


def my_rsvp(*, occurrence: Occurrence, user) -> Rsvp | None:
    if not user.is_authenticated:
        return None
    return Rsvp.objects.filter(occurrence=occurrence, user=user).first()


@dataclass
class RegisterRow:
    user_id: int
    name: str
    present: bool
    answer: str | None
    message: str


@dataclass
class Register:
    rows: list[RegisterRow]
    walk_ins: list[Attendance]
    present_count: int = 0
    messages: list[RegisterRow] = field(default_factory=list)


def register_for(*, occurrence: Occurrence) -> Register:
    """Every active member with a tick, their RSVP and message; walk-ins. Three queries."""
    members = (
        Membership.objects.active()
        .filter(group_id=occurrence.group_id)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    ticks = {}
    walk_ins = []
    for a in Attendance.objects.filter(occurrence=occurrence).order_by("created_at", "id"):
        if a.user_id:
            ticks[a.user_id] = a
        else:
            walk_ins.append(a)
    answers = {
        r.user_id: r
        for r in Rsvp.objects.filter(occurrence=occurrence).only("user_id", "answer", "message")
    }
    rows = []
    for m in members:
        r = answers.get(m.user_id)
        rows.append(
            RegisterRow(
                user_id=m.user_id,
                name=m.user.public_name,
                present=m.user_id in ticks,
                answer=r.answer if r else None,
                message=r.message if r else "",
            )
        )
    return Register(
        rows=rows,
        walk_ins=walk_ins,
        present_count=len(ticks) + len(walk_ins),
        messages=[row for row in rows if row.message],
    )


@dataclass
class GridRow:
    user_id: int
    name: str
    cells: list[bool | None]  # oldest first; None = no register that week
    drifting: bool
    total: int


@dataclass
class Grid:
    columns: list[Occurrence]
    rows: list[GridRow]

    @property
    def drifting(self) -> list[GridRow]:
        return [r for r in self.rows if r.drifting]


def attendance_grid(*, group: Group, weeks: int = 12, now: datetime | None = None) -> Grid:
    """Last `weeks` weeks of meetups x active members, drifting members flagged. Three queries."""
    now = now or timezone.now()
    columns = list(
        Occurrence.objects.filter(
            group=group,
            status=Occurrence.Status.SCHEDULED,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(weeks=weeks),
        ).order_by("starts_at")
    )
    col_ids = [c.pk for c in columns]
    attended = set(
        Attendance.objects.filter(occurrence_id__in=col_ids, user__isnull=False).values_list(
            "occurrence_id", "user_id"
        )
    )
    taken = {oid for oid, _ in attended}
    members = (
        Membership.objects.active()
        .filter(group=group)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    rows = []
    for m in members:
        cells = [((c.pk, m.user_id) in attended) if c.pk in taken else None for c in columns]
        history = [c for c in reversed(cells) if c is not None]  # newest first
        rows.append(
            GridRow(
                user_id=m.user_id,
                name=m.user.public_name,
                cells=cells,
                drifting=rules.is_drifting(history),
                total=sum(1 for c in cells if c),
            )
        )
    rows.sort(key=lambda r: (not r.drifting, r.name.lower()))
    return Grid(columns=columns, rows=rows)


def prefs_for(*, user, group: Group) -> bool:
    prefs = MeetupPrefs.objects.filter(user=user, group=group).first()
    return prefs.nudges if prefs else True


def feed_occurrences(*, group: Group, now: datetime | None = None):
    """What the group's calendar feed needs: series and their occurrences."""
    now = now or timezone.now()
    return list(
        Occurrence.objects.filter(group=group, starts_at__gte=now - timedelta(weeks=12))
        .select_related("series")
        .order_by("starts_at")
    )


def calendar_feed_owner(*, token: str):
    """The active member whose private calendar link this is, or None (revoked or unknown)."""
    feed = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def group_feed_by_token(*, token: str):
    """The group feed row for a private group calendar link (its user and group), or None."""
    return GroupCalendarFeed.objects.filter(token=token).select_related("user", "group").first()


def member_feed_occurrences(*, user, now: datetime | None = None):
    now = now or timezone.now()
    return list(
        Occurrence.objects.filter(
            rsvps__user=user,
            rsvps__answer=Rsvp.Answer.GOING,
            group__memberships__user=user,
            group__memberships__status=Membership.Status.ACTIVE,
            starts_at__gte=now - timedelta(weeks=4),
        )
        .select_related("group")
        .order_by("starts_at")
        .distinct()
    )


def one_tap_target(*, user_id: int, occurrence_id: int):
    """The active member and the meetup a signed one-tap link names, or None. One query each."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    occ = Occurrence.objects.filter(pk=occurrence_id).select_related("group").first()
    if occ is None:
        return None
    return user, occ


def occurrence_path(occurrence_id: int) -> str:
    """The page of a meetup (for 'log in to answer' after an old link), or ''."""
    from django.urls import reverse

    row = Occurrence.objects.filter(pk=occurrence_id).values_list("pk", "group__slug").first()
    if row is None:
        return ""
    return reverse("meetups:occurrence", kwargs={"slug": row[1], "pk": row[0]})

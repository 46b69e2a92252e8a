"""Demo meetups for the open demo group (called by `seed_demo`): a weekly Tuesday 19:00
series with a few weeks of register history. Idempotent: it does nothing the second time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership

from . import services
from .models import Attendance, MeetupSeries, Occurrence

TITLE = "Tuesday evening get-together"
WEEKS_OF_HISTORY = 6
#: A third parent who used to come every week and has missed the last two: the attendance
#: grid shows them as drifting away.
DRIFTER = {"email": "parent3@example.com", "display_name": "Chris"}


def _drifter(group: Group) -> User:
    user = User.objects.filter(email=DRIFTER["email"]).first()
    if user is None:
        user = User.objects.create_user(
            DRIFTER["email"], None, display_name=DRIFTER["display_name"]
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        user=user,
        group=group,
        defaults={"status": Membership.Status.ACTIVE, "joined_at": timezone.now()},
    )
    return user


def seed(ctx: dict | None = None) -> MeetupSeries | None:
    groups = (ctx or {}).get("groups", {}).values() or Group.objects.all()
    group = next((g for g in groups if g.join_policy == Group.JoinPolicy.OPEN), None)
    if group is None:
        return None
    existing = MeetupSeries.objects.filter(group=group, title=TITLE).first()
    if existing:
        return existing
    facilitator = (
        Membership.objects.facilitators().filter(group=group).select_related("user").first()
    )
    by = facilitator.user if facilitator else None
    now = timezone.now()
    local_today = now.astimezone(dt.UTC).date()
    first = local_today - dt.timedelta(weeks=WEEKS_OF_HISTORY)
    first += dt.timedelta(days=(1 - first.weekday()) % 7)  # the Tuesday on or after
    series = services.series_create(
        group=group,
        by=by,
        title=TITLE,
        first_date=first,
        start_time=dt.time(19, 0),
        duration_minutes=90,
        place=services.Place(
            venue_name="Brierley Hill Family Hub",
            venue_address="Moor Street, Brierley Hill DY5 3SS",
            accessibility_notes="Step-free, space for buggies, crèche in the next room",
        ),
        allow_past=True,
        now=now,
    )
    past = list(
        Occurrence.objects.filter(
            series=series, ends_at__lt=now - services.AUTO_CLOSE_AFTER
        ).order_by("starts_at")
    )
    drifter = _drifter(group)
    regulars = list(
        Membership.objects.active()
        .filter(group=group)
        .exclude(user=drifter)
        .values_list("user_id", flat=True)
    )
    rows = []
    for i, occ in enumerate(past):
        present = list(regulars)
        if i < len(past) - 2:
            present.append(drifter.pk)
        rows += [
            Attendance(occurrence=occ, user_id=uid, marked_by=by, created_at=occ.starts_at)
            for uid in present
        ]
    Attendance.objects.bulk_create(rows, ignore_conflicts=True)
    for occ in past:
        Occurrence.objects.filter(pk=occ.pk).update(
            register_closed_at=occ.ends_at + dt.timedelta(hours=1), register_closed_by=by
        )
    return series

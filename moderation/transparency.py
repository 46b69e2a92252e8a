"""The public transparency page's figures, per calendar quarter (UK time): computed by the
`refresh_transparency` Huey job and stored in TransparencyQuarter, so the page only reads.

Figures only, never a member, a message or a Village group: every figure is site-wide. A
count between 1 and VILLAGE["TRANSPARENCY_MIN_COUNT"] - 1 is published as "fewer than N",
and a median or a share worked out from fewer than N items is not published at all, so no
figure can point at one person's report or one small group's trouble. What each figure means
is in docs/safeguarding.md (Transparency).
"""

from __future__ import annotations

import statistics
import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from config.village import village

from .models import (
    Appeal,
    Case,
    Complaint,
    ModAction,
    Reason,
    Report,
    TransparencyQuarter,
)

#: Decisions that count as "acted on": the content came down or its author was actioned.
ACTED = frozenset(
    {
        ModAction.Kind.HIDE,
        ModAction.Kind.DELETE,
        ModAction.Kind.WARN,
        ModAction.Kind.MUTE,
        ModAction.Kind.REMOVE,
        ModAction.Kind.SUSPEND,
        ModAction.Kind.BAN,
    }
)
#: Queue items that start from someone telling us (a reported message, a concern).
REPORTED_KINDS = (Case.Kind.REPORTS, Case.Kind.CONCERN)
#: How many quarters the page keeps.
QUARTERS_KEPT = 8


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quarter_of(when: datetime) -> tuple[int, int]:
    local = timezone.localtime(when, _zone())
    return local.year, (local.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    zone = _zone()
    start = datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=zone)
    end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=zone)
    return start, end


def _previous(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def _count(n: int, k: int) -> int | None:
    """`n`, or None ("fewer than k") when it is small enough to point at someone."""
    return n if n == 0 or n >= k else None


def _median_seconds(pairs, k: int) -> int | None:
    waits = [(b - a).total_seconds() for a, b in pairs if a is not None and b is not None]
    if len(waits) < k:
        return None
    return int(statistics.median(waits))


def _ack_field() -> str | None:
    """Cases record an acknowledgement time once urgent alerts can be acknowledged; until
    then the figure is time to first action on urgent cases (and the page says so)."""
    names = {f.name for f in Case._meta.get_fields()}
    return "acknowledged_at" if "acknowledged_at" in names else None


def quarter_figures(year: int, quarter: int, *, k: int | None = None) -> dict[str, Any]:
    """Every figure for one quarter, small ones suppressed (see the module's docstring)."""
    k = village("TRANSPARENCY_MIN_COUNT") if k is None else k
    start, end = quarter_bounds(year, quarter)
    reports = Report.objects.filter(created_at__gte=start, created_at__lt=end)
    by_reason = dict(reports.values_list("reason").annotate(n=Count("id")).order_by())
    cases = Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
    told = cases.filter(kind__in=REPORTED_KINDS)
    reported = cases.filter(kind=Case.Kind.REPORTS).annotate(
        acted=Exists(ModAction.objects.filter(case_id=OuterRef("pk"), kind__in=ACTED))
    )
    reported_n = reported.count()
    acted_n = reported.filter(acted=True).count()
    appeals = Appeal.objects.filter(created_at__gte=start, created_at__lt=end)
    appeal_status = dict(appeals.values_list("status").annotate(n=Count("id")).order_by())
    complaints = Complaint.objects.filter(created_at__gte=start, created_at__lt=end)
    complaint_status = dict(complaints.values_list("status").annotate(n=Count("id")).order_by())
    urgent = cases.filter(urgent=True)
    ack = _ack_field()
    urgent_pairs = urgent.values_list("opened_at", ack or "first_action_at")
    return {
        "min_count": k,
        "reports_total": _count(sum(by_reason.values()), k),
        "reports_by_reason": {r: _count(by_reason.get(r, 0), k) for r in Reason.values},
        "median_first_action_seconds": _median_seconds(
            told.values_list("opened_at", "first_action_at"), k
        ),
        "reported_items": _count(reported_n, k),
        "acted_on_percent": round(100 * acted_n / reported_n) if reported_n >= k else None,
        "appeals_total": _count(sum(appeal_status.values()), k),
        "appeals_by_outcome": {s: _count(appeal_status.get(s, 0), k) for s in Appeal.Status.values},
        "complaints_total": _count(sum(complaint_status.values()), k),
        "complaints_by_outcome": {
            s: _count(complaint_status.get(s, 0), k) for s in Complaint.Status.values
        },
        "urgent_total": _count(urgent.count(), k),
        "urgent_median_ack_seconds": _median_seconds(urgent_pairs, k),
        "urgent_ack_measure": "acknowledged" if ack else "first_action",
    }


@transaction.atomic
def transparency_refresh(*, now: datetime | None = None) -> int:
    """Work out and store the figures for this quarter and the QUARTERS_KEPT - 1 before it
    (only from the first quarter anything happened in); returns how many quarters were
    stored. Safe to run at any time: each quarter's row is replaced."""
    now = now or timezone.now()
    firsts = [
        m.objects.order_by(f).values_list(f, flat=True).first()
        for m, f in (
            (Report, "created_at"),
            (Case, "opened_at"),
            (Complaint, "created_at"),
            (Appeal, "created_at"),
        )
    ]
    firsts = [f for f in firsts if f is not None]
    year, quarter = quarter_of(now)
    first = quarter_of(min(firsts)) if firsts else (year, quarter)
    kept = []
    for _i in range(QUARTERS_KEPT):
        if (year, quarter) < first:
            break
        start, end = quarter_bounds(year, quarter)
        TransparencyQuarter.objects.update_or_create(
            year=year,
            quarter=quarter,
            defaults={
                "starts": start,
                "ends": end,
                "figures": quarter_figures(year, quarter),
                "computed_at": now,
            },
        )
        kept.append((year, quarter))
        year, quarter = _previous(year, quarter)
    if kept:
        oldest = kept[-1]
        TransparencyQuarter.objects.filter(year__lt=oldest[0]).delete()
        TransparencyQuarter.objects.filter(year=oldest[0], quarter__lt=oldest[1]).delete()
    return len(kept)

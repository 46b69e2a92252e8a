"""The illegal-harms risk assessment: a living document of risks, each with its likelihood,
impact, what we do about it, an owner and a review date. Writes for it live here (a
sub-domain of moderation's services): every change is a new RiskRevision, so the history of
every version is kept; staff are reminded before a review falls due (`risk_review_reminders`,
run daily by Huey)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import is_blank
from config.village import village
from core.errors import ServiceError
from notifications.models import Kind
from notifications.services import notify

from .models import Risk, RiskRevision


class RiskError(ServiceError):
    pass


def _check(*, title: str, measures: str, likelihood, impact, owner, review_by) -> None:
    if is_blank(title):
        raise RiskError(_("Please name the risk in a few words."), code="no_title")
    if is_blank(measures):
        raise RiskError(_("Please say what we do about this risk."), code="no_measures")
    levels = RiskRevision.Level.values
    if likelihood not in levels or impact not in levels:
        raise RiskError(_("Please choose how likely it is and how bad it would be."), code="level")
    if owner is None or not (owner.is_staff and owner.is_active):
        raise RiskError(_("Please choose a member of staff to own this risk."), code="owner")
    if not isinstance(review_by, date) or review_by <= timezone.localdate():
        raise RiskError(_("Please choose a review date after today."), code="review_by")


@transaction.atomic
def risk_save(
    *,
    actor,
    risk: Risk | None = None,
    title: str,
    description: str = "",
    likelihood: int,
    impact: int,
    measures: str,
    owner,
    review_by: date,
    change_note: str = "",
) -> RiskRevision:
    """Add a risk (`risk` None) or change one: either way a new revision, the earlier ones
    untouched. Raises RiskError (kind words) and changes nothing when something is missing."""
    _check(
        title=title, measures=measures, likelihood=likelihood, impact=impact, owner=owner,
        review_by=review_by,
    )  # fmt: skip
    if risk is None:
        risk = Risk.objects.create()
        version = 1
    else:
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        version = (risk.revisions.aggregate(v=Max("version"))["v"] or 0) + 1
    return RiskRevision.objects.create(
        risk=risk,
        version=version,
        title=title.strip(),
        description=(description or "").strip(),
        likelihood=likelihood,
        impact=impact,
        measures=measures.strip(),
        owner=owner,
        review_by=review_by,
        change_note=(change_note or "").strip() or (_("Added") if version == 1 else ""),
        changed_by=actor,
    )


def _latest_ids():
    newest = RiskRevision.objects.filter(risk=OuterRef("risk")).order_by("-version")
    return RiskRevision.objects.filter(
        risk__retired_at__isnull=True, pk=Subquery(newest.values("pk")[:1])
    )


def risk_register() -> list[RiskRevision]:
    """Each current risk as it stands now (its latest revision), the most serious first."""
    rows = list(_latest_ids().select_related("owner", "changed_by"))
    return sorted(rows, key=lambda r: (-r.score, r.review_by, r.risk_id))


def risk_history(risk_id: int) -> list[RiskRevision]:
    """Every version of one risk, newest first."""
    return list(
        RiskRevision.objects.filter(risk_id=risk_id)
        .select_related("owner", "changed_by")
        .order_by("-version")
    )


@transaction.atomic
def risk_review_reminders(*, now: datetime | None = None) -> int:
    """Tell staff, once per revision, that a risk's review is due within
    RISK_REVIEW_REMINDER_DAYS (or overdue). Returns how many risks they were told about."""
    now = now or timezone.now()
    soon = timezone.localdate(now) + timedelta(days=village("RISK_REVIEW_REMINDER_DAYS"))
    due = list(
        _latest_ids()
        .filter(review_by__lte=soon, reminded_at__isnull=True)
        .select_for_update(of=("self",))
        .order_by("review_by")
    )
    if not due:
        return 0
    staff = list(
        get_user_model().objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    )
    for revision in due:
        notify(
            user_ids=staff,
            kind=Kind.MODERATION,
            title=_("A risk in the risk assessment is due for review"),
            body=_("“%(title)s” should be reviewed by %(when)s.")
            % {"title": revision.title, "when": revision.review_by.strftime("%-d %B %Y")},
            url=reverse("moderation:risk", args=[revision.risk_id]),
        )
    RiskRevision.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
    return len(due)

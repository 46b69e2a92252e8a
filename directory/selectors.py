"""Reads for the directory pages, with explicit joins so query counts stay constant."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from groups import permissions

from . import text
from .models import Referral, Schedule, Service, TaxonomyTerm


def visible_services(user) -> QuerySet[Service]:
    """Active services `user` may see: every feed's, local entries shared with everyone,
    and their own groups' local entries (site moderators: every group's)."""
    site, group_ids = permissions.directory_scope(user)
    qs = Service.objects.filter(is_active=True)
    if site:
        return qs
    return qs.filter(
        Q(feed__isnull=False)
        | Q(sharing=Service.Sharing.EVERYONE)
        | Q(group_id__in=group_ids)
    )


def _with_details(qs: QuerySet[Service]) -> QuerySet[Service]:
    return qs.select_related("organisation", "feed").prefetch_related(
        "schedules", "phones", "locations", "cost_options", "taxonomy_terms"
    )


@dataclass(frozen=True)
class Filters:
    q: str = ""
    need: int | None = None
    age: int | None = None
    day: str = ""
    open_now: bool = False


def _search(qs: QuerySet[Service], q: str) -> QuerySet[Service]:
    if not q:
        return qs
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("name", weight="A", config="english")
            + SearchVector("description", weight="B", config="english")
            + SearchVector("organisation__name", weight="C", config="english")
        )
        query = SearchQuery(q, search_type="websearch", config="english")
        return (
            qs.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by("-rank", "name", "pk")
        )
    for word in q.split()[:8]:
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    return qs


def _open_at(local: datetime.datetime) -> Q:
    """Schedules open at this local wall-clock time."""
    code = text.DAYS[local.weekday()]
    t = local.time().replace(tzinfo=None)
    d = local.date()
    return (
        (Q(freq=Schedule.Freq.DAILY) | Q(freq=Schedule.Freq.WEEKLY, byday__contains=code))
        & Q(opens_at__lte=t, closes_at__gt=t)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=d))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=d))
    )


def service_search(*, user, filters: Filters, now: datetime.datetime) -> QuerySet[Service]:
    qs = _search(visible_services(user), filters.q)
    if filters.need:
        qs = qs.filter(taxonomy_terms__id=filters.need)
    if filters.age is not None:
        qs = qs.filter(
            Q(minimum_age__isnull=True) | Q(minimum_age__lte=filters.age),
            Q(maximum_age__isnull=True) | Q(maximum_age__gte=filters.age),
        )
    if filters.day:
        on_day = Schedule.objects.filter(
            Q(freq=Schedule.Freq.DAILY) | Q(freq=Schedule.Freq.WEEKLY, byday__contains=filters.day)
        )
        qs = qs.filter(pk__in=on_day.values("service_id"))
    if filters.open_now:
        qs = qs.filter(pk__in=Schedule.objects.filter(_open_at(text.local_now(now)))
                       .values("service_id"))
    return _with_details(qs).distinct()


def needs() -> list[TaxonomyTerm]:
    """Needs that at least one active service meets, for the filter."""
    return list(TaxonomyTerm.objects.filter(services__is_active=True).distinct().order_by("term"))


def service_for_page(*, user, uuid) -> Service | None:
    """One service `user` may see, with everything its page shows (or None)."""
    qs = visible_services(user).filter(uuid=uuid)
    qs = _with_details(qs).prefetch_related(
        "languages", Prefetch("contacts"),
    )
    return qs.first()




def all_needs() -> list[TaxonomyTerm]:
    return list(TaxonomyTerm.objects.order_by("term"))


def local_entry(uuid) -> Service | None:
    return Service.objects.filter(uuid=uuid, feed__isnull=True).select_related("group").first()


def entries_awaiting_approval() -> list[Service]:
    return list(
        Service.objects.filter(feed__isnull=True, sharing=Service.Sharing.ASKED, is_active=True)
        .select_related("group", "created_by")
        .order_by("updated_at")
    )


def local_entry_initial(service: Service) -> dict:
    schedule = service.schedules.first()
    phone = service.phones.first()
    location = service.locations.first()
    return {
        "name": service.name, "description": service.description, "email": service.email,
        "url": service.url, "fees": service.fees, "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age, "phone": phone.number if phone else "",
        "address": location.address_1 if location else "",
        "postal_code": location.postal_code if location else "",
        "days": schedule.byday.split(",") if schedule and schedule.byday else [],
        "opens_at": schedule.opens_at if schedule else None,
        "closes_at": schedule.closes_at if schedule else None,
        "needs": list(service.taxonomy_terms.values_list("pk", flat=True)),
        "share_with_everyone": service.sharing != Service.Sharing.GROUP,
    }


@dataclass(frozen=True)
class OfferChoice:
    value: str
    label: str


def offer_choices(user) -> list[OfferChoice]:
    """Members of the groups `user` facilitates, for "offer a referral to ..."."""
    from groups.models import Membership

    if not permissions.may_use_directory(user):
        return []
    groups = Membership.objects.facilitators().filter(user=user).values("group_id")
    members = (
        Membership.objects.filter(group_id__in=groups, status=Membership.Status.ACTIVE,
                                  user__is_active=True)
        .exclude(user=user)
        .select_related("user", "group")
        .order_by("group__name", "user__display_name")
    )
    return [
        OfferChoice(f"{m.group_id}:{m.user_id}", f"{m.user.display_name} ({m.group.name})")
        for m in members
    ]


def group_member(*, group, user_id: int):
    from groups.models import Membership

    m = (Membership.objects.filter(group=group, user_id=user_id, status=Membership.Status.ACTIVE)
         .select_related("user").first())
    return m.user if m else None


def referrals_for(user) -> list[Referral]:
    """Referrals `user` may see in their list: their own, and those they offered. Site
    moderators open a referral by its link; they have no list of everyone's."""
    return list(
        Referral.objects.filter(Q(member=user) | Q(facilitator=user))
        .select_related("service", "member", "facilitator")
        .order_by("-created_at")[:100]
    )


def referral_figures(*, now: datetime.datetime | None = None) -> dict:
    """For staff (the moderation figures page): referrals by service and outcome, the median
    days to a first answer, and open referrals past their follow-up date. Counts only."""
    import statistics

    from django.db.models import Count
    from django.utils import timezone

    from config.village import village

    from .services import working_days_before

    now = now or timezone.now()
    S = Referral.Status
    outcomes = [S.SENT, S.RECEIVED, S.IN_TOUCH, S.HELPED, S.NOT_RIGHT, S.WITHDRAWN]
    rows = (
        Referral.objects.exclude(status=S.OFFERED)
        .values("service__name", "status")
        .annotate(n=Count("id"))
        .order_by("service__name")
    )
    by_service: dict[str, dict[str, int]] = {}
    for row in rows:
        by_service.setdefault(row["service__name"], {})[row["status"]] = row["n"]
    table: list[dict[str, Any]] = [
        {"service": name, "counts": [counts.get(s, 0) for s in outcomes],
         "total": sum(counts.values())}
        for name, counts in by_service.items()
    ]
    table.sort(key=lambda r: (-r["total"], r["service"]))
    waits = [
        (first - sent).total_seconds() / 86400  # type: ignore[operator]  # both filtered non-null
        for sent, first in Referral.objects.filter(
            first_answer_at__isnull=False, sent_at__isnull=False
        ).values_list("sent_at", "first_answer_at")
    ]
    due = working_days_before(now, village("REFERRAL_FOLLOW_UP_WORKING_DAYS"))
    return {
        "outcomes": [S(s).label for s in outcomes],
        "by_service": table[:20],
        "most": max((r["total"] for r in table), default=0),
        "median_days": round(statistics.median(waits), 1) if waits else None,
        "answered": len(waits),
        "overdue": Referral.objects.filter(status=S.SENT, sent_at__lte=due).count(),
    }


def share_groups(user) -> list:
    """The groups whose chat `user` is an active member of, to share a service into."""
    from groups.models import Membership

    if not permissions.may_use_directory(user):
        return []
    rows = (Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
            .select_related("group").order_by("group__name"))
    return [m.group for m in rows]

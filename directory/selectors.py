"""Reads for the directory pages, with explicit joins so query counts stay constant."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

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


def referrals_for_member(user) -> list[Referral]:
    return list(
        Referral.objects.filter(member=user)
        .exclude(status=Referral.Status.WITHDRAWN)
        .select_related("service", "facilitator")
        .order_by("-created_at")
    )

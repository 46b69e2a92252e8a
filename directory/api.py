"""Open Referral UK v3, read-only: the site's approved local entries (shared with everyone by a
moderator), so a council's directory can pull in what parents found useful.

`GET /api/openreferral/services` (page, per_page; the profile's Page shape) and
`GET /api/openreferral/services/{id}` (the fully nested service). Field names and rules are
the profile's (OpenReferralUK/uk-profile, schema/compiled/service.json): a service has id
(UUID), name, status and url; last_modified is a date-time with milliseconds; the organisation
has id, name and description. Group names are never published (a group may be unlisted): the
organisation is the site's community as a whole.
"""

from __future__ import annotations

import datetime
import math
import uuid

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from core import urls
from core.urls import absolute_reverse

from .models import Service

MAX_PER_PAGE = 100
OPENAPI = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"


def published() -> QuerySet[Service]:
    return (
        Service.objects.filter(feed__isnull=True, sharing=Service.Sharing.EVERYONE)
        .order_by("created_at", "pk")
    )


def _utc_stamp(moment) -> str:
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def organisation() -> dict:
    site = urls.site()
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, site + "/community")),
        "name": "Parents on Village",
        "description": "Local services that parents' peer-support groups on Village found "
        "useful and shared, checked by Village's moderators.",
        "website": site + "/",
    }


def _url(service: Service) -> str:
    if service.url:
        return service.url
    return absolute_reverse("directory:service", service.uuid)


def _one_to_one(service: Service) -> dict:
    org = organisation()
    return {
        "id": str(service.uuid),
        "organization_id": org["id"],
        "name": service.name,
        "description": service.description,
        "url": _url(service),
        **({"email": service.email} if service.email else {}),
        "status": service.status if service.is_active else Service.Status.INACTIVE.value,
        "fees": service.fees,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "last_modified": _utc_stamp(service.last_modified or service.updated_at),
        "organization": org,
    }


def _nested(service: Service) -> dict:
    body = _one_to_one(service)
    body["schedules"] = [
        {
            "id": str(uuid.uuid5(service.uuid, f"schedule/{s.pk}")),
            "service_id": str(service.uuid),
            **({"freq": s.freq} if s.freq else {}),
            **({"byday": s.byday} if s.byday else {}),
            **({"opens_at": f"{s.opens_at:%H:%M:%S}"} if s.opens_at else {}),
            **({"closes_at": f"{s.closes_at:%H:%M:%S}"} if s.closes_at else {}),
            "description": s.description,
        }
        for s in service.schedules.all()
    ]
    body["service_at_locations"] = [
        {
            "id": str(uuid.uuid5(service.uuid, f"sal/{loc.pk}")),
            "service_id": str(service.uuid),
            "location_id": str(uuid.uuid5(service.uuid, f"location/{loc.pk}")),
            "location": {
                "id": str(uuid.uuid5(service.uuid, f"location/{loc.pk}")),
                "name": loc.name,
                "addresses": [{
                    "id": str(uuid.uuid5(service.uuid, f"address/{loc.pk}")),
                    "address_1": loc.address_1, "city": loc.city,
                    "postal_code": loc.postal_code, "country": "GB",
                    "address_type": "physical",
                }],
                **({"latitude": loc.latitude, "longitude": loc.longitude}
                   if loc.latitude is not None else {}),
            },
        }
        for loc in service.locations.all()
    ]
    body["contacts"] = [
        {
            "id": str(uuid.uuid5(service.uuid, f"contact/{p.pk}")),
            "service_id": str(service.uuid),
            "name": service.name,
            "phones": [{"id": str(uuid.uuid5(service.uuid, f"phone/{p.pk}")),
                        "number": p.number}],
        }
        for p in service.phones.all()
    ]
    body["languages"] = [
        {"id": str(uuid.uuid5(service.uuid, f"language/{lang.pk}")),
         "service_id": str(service.uuid), "name": lang.name, "code": lang.code}
        for lang in service.languages.all()
    ]
    body["attributes"] = [
        {
            "id": str(uuid.uuid5(service.uuid, f"attribute/{t.pk}")),
            "link_id": str(service.uuid),
            "link_type": "service",
            "taxonomy_term_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{t.taxonomy}/{t.oruk_id}")),
            "taxonomy_term": {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{t.taxonomy}/{t.oruk_id}")),
                "taxonomy": t.taxonomy or "Village",
                "term": t.term,
            },
        }
        for t in service.taxonomy_terms.all()
    ]
    return body


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


@require_GET
def services(request: HttpRequest) -> JsonResponse:
    per_page = _int(request.GET.get("per_page"), 50, 1, MAX_PER_PAGE)
    qs = published().select_related(None)
    total = qs.count()
    total_pages = max(1, math.ceil(total / per_page))
    page = _int(request.GET.get("page"), 1, 1, 10**6)
    rows = list(qs[(page - 1) * per_page : page * per_page])
    return JsonResponse({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(rows),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": total == 0,
        "contents": [_one_to_one(s) for s in rows],
    })


@require_GET
def service(request: HttpRequest, pk: str) -> JsonResponse:
    try:
        key = uuid.UUID(pk)
    except ValueError:
        raise Http404("No such service.") from None
    found = (
        published()
        .filter(uuid=key)
        .prefetch_related("schedules", "locations", "phones", "languages", "taxonomy_terms")
        .first()
    )
    if found is None:
        raise Http404("No such service.")
    return JsonResponse(_nested(found))


def api_root(request: HttpRequest) -> JsonResponse:
    return JsonResponse({
        "version": "3.0",
        "profile": "https://github.com/openreferraluk/uk-profile",
        "openapi_url": OPENAPI,
    })

"""Sync a feed: page through `GET /services`, fetch `GET /services/{id}` for each service
whose `last_modified` changed, and upsert by feed and id in one transaction.

All reading happens before the transaction, so a broken feed never leaves the directory half
replaced: a page that cannot be read stops the sync with nothing changed (we could not tell
which services left); a service whose record cannot be read or fails the profile's rules is
skipped and its last good copy kept. Services that left the feed, or whose status is not
active, are marked inactive, never deleted.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.formats import date_format

from config.village import village

from . import fetch
from .models import (
    Contact,
    CostOption,
    Feed,
    Language,
    Location,
    Organisation,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
)

log = logging.getLogger(__name__)

STATUSES = {choice.value for choice in Service.Status}
REQUIRED = ("id", "name", "status", "url")
#: A server that fails this many detail requests in a row, before any succeeded, is down: the
#: sync stops (changing nothing) rather than wait out a timeout for every service.
MAX_FAILED_DETAILS = 3


class Invalid(Exception):
    """A record that breaks the profile's rules; the message is the short reason."""


@dataclass
class SyncResult:
    ok: bool
    synced: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped: Counter = field(default_factory=Counter)
    status: str = ""


# --- reading and checking records ----------------------------------------------------------


def _text(record: dict, key: str, limit: int | None = None) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"bad {key}")
    value = value.strip()
    if limit and len(value) > limit:
        raise Invalid(f"{key} too long")
    return value


def _url(record: dict, key: str) -> str:
    value = _text(record, key, 500)
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise Invalid(f"bad {key}")
    return value


def _email(record: dict, key: str) -> str:
    value = _text(record, key, 254)
    if value and ("@" not in value or " " in value):
        return ""  # an unusable email is left out, not a reason to skip the service
    return value


def _age(record: dict, key: str) -> int | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 150:
        raise Invalid(f"bad {key}")
    return int(value)


def _date(record: dict, key: str) -> datetime.date | None:
    value = record.get(key)
    if not value:
        return None
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise Invalid(f"bad {key}")
    return parsed


def _time(record: dict, key: str) -> datetime.time | None:
    value = record.get(key)
    if not value:
        return None
    parsed = parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        raise Invalid(f"bad {key}")
    return parsed.replace(tzinfo=None)


def parse_modified(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _list(record: dict, key: str) -> list[dict]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Invalid(f"bad {key}")
    return value


def check_required(record: Any) -> str:
    """The record's id, or Invalid("missing name") etc. for a list or detail record."""
    if not isinstance(record, dict):
        raise Invalid("not a record")
    for key in REQUIRED:
        if record.get(key) in (None, ""):
            raise Invalid(f"missing {key}")
    if not isinstance(record["id"], str) or len(record["id"]) > 100:
        raise Invalid("bad id")
    if record["status"] not in STATUSES:
        raise Invalid("status not allowed")
    return record["id"]


def parse_service(record: Any) -> dict:
    """A full (nested) service record checked against the profile and turned into plain
    values ready to store. Raises Invalid with a short reason."""
    oruk_id = check_required(record)
    org = record.get("organization")
    organisation = None
    if org is not None:
        if not isinstance(org, dict) or not org.get("id") or not _text(org, "name"):
            raise Invalid("bad organization")
        organisation = {
            "oruk_id": str(org["id"])[:100],
            "name": _text(org, "name", 255),
            "description": _text(org, "description"),
            "email": _email(org, "email"),
            "website": _url(org, "website"),
            "uri": _url(org, "uri"),
        }
    minimum, maximum = _age(record, "minimum_age"), _age(record, "maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise Invalid("ages the wrong way round")
    fields = {
        "name": _text(record, "name", 255),
        "description": _text(record, "description"),
        "url": _url(record, "url"),
        "email": _email(record, "email"),
        "status": record["status"],
        "fees": _text(record, "fees"),
        "accreditations": _text(record, "accreditations"),
        "minimum_age": minimum,
        "maximum_age": maximum,
        "assured_date": _date(record, "assured_date"),
        "alert": _text(record, "alert"),
        "last_modified": parse_modified(record.get("last_modified")),
    }
    schedules = []
    for s in _list(record, "schedules"):
        freq = _text(s, "freq").upper()
        if freq and freq not in Schedule.Freq.values:
            freq = ""
        interval = s.get("interval")
        byday = _text(s, "byday", 40).upper().replace(" ", "")
        schedules.append({
            "oruk_id": str(s.get("id") or "")[:100],
            "freq": freq,
            "interval": interval if isinstance(interval, int) and 0 < interval < 100 else None,
            "byday": byday,
            "opens_at": _time(s, "opens_at"),
            "closes_at": _time(s, "closes_at"),
            "valid_from": _date(s, "valid_from"),
            "valid_to": _date(s, "valid_to"),
            "description": _text(s, "description"),
            "attending_type": _text(s, "attending_type", 255),
            "notes": _text(s, "notes"),
        })  # fmt: skip
    locations = []
    for sal in _list(record, "service_at_locations"):
        loc = sal.get("location") or {}
        if not isinstance(loc, dict):
            raise Invalid("bad location")
        lat, lng = loc.get("latitude"), loc.get("longitude")
        good = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
        if good and not (-90 <= lat <= 90 and -180 <= lng <= 180):
            good = False
        address = (_list(loc, "addresses") or [{}])[0]
        locations.append({
            "oruk_id": str(loc.get("id") or sal.get("id") or "")[:100],
            "name": _text(loc, "name", 255),
            "description": _text(loc, "description"),
            "latitude": float(lat) if good else None,
            "longitude": float(lng) if good else None,
            "address_1": _text(address, "address_1", 255),
            "city": _text(address, "city", 100),
            "postal_code": _text(address, "postal_code", 20),
        })  # fmt: skip
    contacts = []
    for c in _list(record, "contacts"):
        contacts.append({
            "oruk_id": str(c.get("id") or "")[:100],
            "name": _text(c, "name", 255),
            "title": _text(c, "title", 255),
            "email": _email(c, "email"),
            "phones": [_phone(p) for p in _list(c, "phones") if p.get("number")],
        })  # fmt: skip
    phones = [_phone(p) for p in _list(record, "phones") if p.get("number")]
    costs = []
    for c in _list(record, "cost_options"):
        amount = c.get("amount")
        try:
            if amount not in (None, ""):
                amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            else:
                amount = None
        except InvalidOperation:
            raise Invalid("bad cost amount") from None
        costs.append({
            "oruk_id": str(c.get("id") or "")[:100],
            "option": _text(c, "option", 255),
            "amount": amount,
            "currency": _text(c, "currency", 3),
            "amount_description": _text(c, "amount_description", 255),
            "valid_from": _date(c, "valid_from"),
            "valid_to": _date(c, "valid_to"),
        })  # fmt: skip
    languages = [
        {
            "oruk_id": str(lang.get("id") or "")[:100],
            "name": _text(lang, "name", 100),
            "code": _text(lang, "code", 20),
        }
        for lang in _list(record, "languages")
    ]
    terms = []
    for attribute in _list(record, "attributes"):
        term = attribute.get("taxonomy_term")
        if isinstance(term, dict) and term.get("id") and _text(term, "term"):
            terms.append({
                "oruk_id": str(term["id"])[:100],
                "taxonomy": _text(term, "taxonomy", 200),
                "term": _text(term, "term", 200),
                "parent_id": str(term.get("parent_id") or "")[:100],
                "term_uri": _url(term, "term_uri"),
            })  # fmt: skip
    return {
        "oruk_id": oruk_id,
        "fields": fields,
        "organisation": organisation,
        "schedules": schedules,
        "locations": locations,
        "contacts": contacts,
        "phones": phones,
        "costs": costs,
        "languages": languages,
        "terms": terms,
    }


def _phone(p: dict) -> dict:
    number = _text(p, "number", 50)
    return {
        "oruk_id": str(p.get("id") or "")[:100],
        "number": number,
        "description": _text(p, "description"),
    }


# --- reading the feed -----------------------------------------------------------------------


def _base(feed: Feed) -> str:
    return feed.base_url.rstrip("/")


def read_listing(http, feed: Feed) -> list[Any]:
    """Every record of `GET /services`, page by page. FeedError if any page is unreadable."""
    per_page = village("DIRECTORY_FEED_PER_PAGE")
    max_pages = village("DIRECTORY_FEED_MAX_PAGES")
    records: list[Any] = []
    page = 1
    while True:
        body = fetch.get_json(http, f"{_base(feed)}/services", {"page": page, "per_page": per_page})
        if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
            raise fetch.FeedError(f"page {page} was not a list of services")
        records.extend(body["contents"])
        total = body.get("total_pages")
        last = body.get("last_page")
        if last is True or not body["contents"]:
            break
        if isinstance(total, int) and page >= total:
            break
        if last is None and not isinstance(total, int):
            break  # no paging information: one page
        page += 1
        if page > max_pages:
            raise fetch.FeedError(f"it has more than {max_pages} pages")
    return records


def sync_feed(feed: Feed, *, now: datetime.datetime | None = None) -> SyncResult:
    """Read `feed` and store what could be read, in one transaction; record a plain status.
    Never raises for a bad feed: the result (and the feed's status) says what happened."""
    now = now or timezone.now()
    result = SyncResult(ok=False)
    try:
        fetch.check_feed_url(feed.base_url)
        with fetch.client() as http:
            listing = read_listing(http, feed)
            parsed, seen = _read_changed(http, feed, listing, result)
    except fetch.FeedError as exc:
        result.status = _failed_status(now, exc.reason)
        _record(feed, result, now)
        log.warning("directory feed %s not synced: %s", feed.pk, exc.reason)
        return result
    try:
        with transaction.atomic():
            _store(feed, parsed, seen, result, now)
            result.ok = True
            result.status = _ok_status(now, result)
            _record(feed, result, now)
    except DatabaseError as exc:
        # The transaction rolled back: the directory is as it was before this sync.
        result = SyncResult(ok=False, status=_failed_status(now, "it could not be saved"))
        _record(feed, result, now)
        log.warning("directory feed %s not stored: %s", feed.pk, type(exc).__name__)
    return result


def _read_changed(http, feed: Feed, listing: list[Any], result: SyncResult):
    known = dict(
        Service.objects.filter(feed=feed).values_list("oruk_id", "last_modified")
    )
    parsed: list[dict] = []
    seen: set[str] = set()  # ids still in the feed (kept even when their record was skipped)
    failures = 0
    for record in listing:
        try:
            oruk_id = check_required(record)
        except Invalid as exc:
            result.skipped[str(exc)] += 1
            # A listed record without a usable id cannot be matched: if it had one, keep it.
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                seen.add(record["id"])
            continue
        if oruk_id in seen:
            continue
        seen.add(oruk_id)
        modified = parse_modified(record.get("last_modified"))
        if oruk_id in known and modified is not None and known[oruk_id] == modified:
            parsed.append({"oruk_id": oruk_id, "unchanged": True, "status": record["status"]})
            continue
        try:
            detail = fetch.get_json(http, f"{_base(feed)}/services/{quote(oruk_id, safe='')}")
            item = parse_service(detail)
            if item["oruk_id"] != oruk_id:
                raise Invalid("id does not match")
        except Invalid as exc:
            result.skipped[str(exc)] += 1
            continue
        except fetch.FeedError as exc:
            # This one record could not be read: keep its last good copy.
            result.skipped[exc.reason] += 1
            failures += 1
            if failures >= MAX_FAILED_DETAILS and not parsed:
                raise fetch.FeedError(f"{failures} services in a row could not be read") from None
            continue
        failures = 0
        parsed.append(item)
    return parsed, seen


def _store(feed: Feed, parsed: list[dict], seen: set[str], result: SyncResult, now) -> None:
    existing = {s.oruk_id: s for s in Service.objects.select_for_update().filter(feed=feed)}
    for item in parsed:
        service = existing.get(item["oruk_id"])
        if item.get("unchanged"):
            Service.objects.filter(pk=service.pk).update(
                status=item["status"], is_active=item["status"] == Service.Status.ACTIVE,
                synced_at=now,
            )
        else:
            _upsert(feed, service, item, now)
            result.updated += 1
        result.synced += 1
    gone = [s.pk for oid, s in existing.items() if oid not in seen and s.is_active]
    if gone:
        result.deactivated = Service.objects.filter(pk__in=gone).update(is_active=False)


def _upsert(feed: Feed, service: Service | None, item: dict, now) -> None:
    organisation = None
    if item["organisation"]:
        org = dict(item["organisation"])
        organisation, _ = Organisation.objects.update_or_create(
            feed=feed, oruk_id=org.pop("oruk_id"), defaults=org
        )
    fields = item["fields"]
    values = {
        **fields,
        "organisation": organisation,
        "is_active": fields["status"] == Service.Status.ACTIVE,
        "synced_at": now,
    }
    if service is None:
        service = Service.objects.create(feed=feed, oruk_id=item["oruk_id"], **values)
    else:
        for key, value in values.items():
            setattr(service, key, value)
        service.save()
        for related in (service.schedules, service.locations, service.phones,
                        service.contacts, service.cost_options, service.languages):
            related.all().delete()
    Schedule.objects.bulk_create(Schedule(service=service, **s) for s in item["schedules"])
    Location.objects.bulk_create(Location(service=service, **loc) for loc in item["locations"])
    CostOption.objects.bulk_create(CostOption(service=service, **c) for c in item["costs"])
    Language.objects.bulk_create(Language(service=service, **lang) for lang in item["languages"])
    Phone.objects.bulk_create(Phone(service=service, **p) for p in item["phones"])
    for c in item["contacts"]:
        phones = c.pop("phones")
        contact = Contact.objects.create(service=service, **c)
        Phone.objects.bulk_create(Phone(service=service, contact=contact, **p) for p in phones)
    terms = []
    for t in item["terms"]:
        term, _ = TaxonomyTerm.objects.update_or_create(
            taxonomy=t["taxonomy"], oruk_id=t["oruk_id"],
            defaults={"term": t["term"], "parent_id": t["parent_id"], "term_uri": t["term_uri"]},
        )
        terms.append(term)
    service.taxonomy_terms.set(terms)


def _when(now: datetime.datetime) -> str:
    return date_format(timezone.localtime(now), "j M, H:i")


def _skipped_text(skipped: Counter) -> str:
    if not skipped:
        return ""
    total = sum(skipped.values())
    if len(skipped) == 1:
        return f"; {total} skipped: {next(iter(skipped))}"
    reasons = ", ".join(f"{reason} ({n})" for reason, n in skipped.most_common())
    return f"; {total} skipped: {reasons}"


def _ok_status(now, result: SyncResult) -> str:
    noun = "service" if result.synced == 1 else "services"
    text = f"Synced {result.synced} {noun} at {_when(now)}{_skipped_text(result.skipped)}"
    if result.deactivated:
        text += f"; {result.deactivated} no longer listed, marked inactive"
    return text[:500]


def _failed_status(now, reason: str) -> str:
    return (f"Not synced at {_when(now)}: {reason}. "
            "Everything from the last good sync is kept.")[:500]


def _record(feed: Feed, result: SyncResult, now) -> None:
    values: dict[str, Any] = {
        "last_status": result.status, "last_ok": result.ok, "last_attempt_at": now,
        "services_skipped": sum(result.skipped.values()),
    }
    if result.ok:
        values.update(last_synced_at=now, services_synced=result.synced)
    Feed.objects.filter(pk=feed.pk).update(**values)
    for key, value in values.items():
        setattr(feed, key, value)


def load_records(feed: Feed, records: list[dict], *, now=None) -> SyncResult:
    """Store full service records without HTTP (the demo data, or a file an admin was sent),
    with the same checks and the same one transaction as a sync."""
    now = now or timezone.now()
    result = SyncResult(ok=True)
    parsed, seen = [], set()
    for record in records:
        try:
            item = parse_service(record)
        except Invalid as exc:
            result.skipped[str(exc)] += 1
            continue
        seen.add(item["oruk_id"])
        parsed.append(item)
    with transaction.atomic():
        _store(feed, parsed, seen, result, now)
        result.status = _ok_status(now, result)
        _record(feed, result, now)
    return result


def sync_all() -> list[SyncResult]:
    return [sync_feed(feed) for feed in Feed.objects.filter(enabled=True).order_by("pk")]

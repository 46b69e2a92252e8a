"""The site's approved local entries as an Open Referral UK v3 API, checked against the
profile's published rules (OpenReferralUK/uk-profile: schema/compiled/service.json and the
openapi.json Page shape), and read back by our own importer over real HTTP."""

import re
import uuid

import pytest
from django.urls import reverse

from directory import services
from directory.models import Feed, Service, TaxonomyTerm
from tests.factories import GroupFactory, MembershipFactory

from .conftest import make_service

# The profile's rules, written out here (not read from our code).
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
PAGE_KEYS = {"total_items": int, "total_pages": int, "page_number": int, "size": int,
             "first_page": bool, "last_page": bool, "empty": bool, "contents": list}


def check_service(s: dict, *, nested: bool) -> None:
    for key in ("id", "name", "status", "url"):
        assert s.get(key) not in (None, ""), key
    assert UUID.match(s["id"]), s["id"]
    assert s["status"] in STATUSES
    assert re.match(r"^https?://\S+$", s["url"])
    assert MILLIS.match(s["last_modified"]), s["last_modified"]
    org = s["organization"]
    for key in ("id", "name", "description"):
        assert org.get(key), key
    assert UUID.match(org["id"])
    for key in ("minimum_age", "maximum_age"):
        assert s[key] is None or isinstance(s[key], int | float)
    if not nested:
        assert not any(isinstance(v, list) for v in s.values()), "the listing is one-to-one"
        return
    for item in (s["schedules"] + s["service_at_locations"] + s["contacts"] + s["languages"]
                 + s["attributes"]):
        assert UUID.match(item["id"])
    for sal in s["service_at_locations"]:
        assert UUID.match(sal["location"]["id"])
    for contact in s["contacts"]:
        for phone in contact["phones"]:
            assert UUID.match(phone["id"]) and phone["number"]
    for attribute in s["attributes"]:
        term = attribute["taxonomy_term"]
        assert UUID.match(term["id"]) and term["taxonomy"]


@pytest.fixture
def entries(db):
    group = GroupFactory(name="Secret unlisted group", visibility="unlisted")
    moderator = MembershipFactory(group=group).user
    moderator.is_moderator = True
    moderator.save()
    shared = []
    for i in range(3):
        entry = make_service(f"Drop-in {i}", group=group, terms=["Health visiting"],
                             lat=52.4, lng=-2.1, min_age=0, max_age=5)
        services.local_entry_decide(user=moderator, service=entry, approve=True)
        shared.append(entry)
    make_service("Only our group", group=group)
    make_service("From a council feed")
    return shared


def test_listing_pages_and_follows_the_profile(client, entries):
    first = client.get("/api/openreferral/services", {"per_page": 2}).json()
    for key, kind in PAGE_KEYS.items():
        assert isinstance(first[key], kind), key
    assert first["total_items"] == 3 and first["total_pages"] == 2
    assert first["first_page"] and not first["last_page"] and first["size"] == 2
    second = client.get("/api/openreferral/services", {"per_page": 2, "page": 2}).json()
    assert second["last_page"] and second["page_number"] == 2 and second["size"] == 1
    listed = first["contents"] + second["contents"]
    assert sorted(s["name"] for s in listed) == ["Drop-in 0", "Drop-in 1", "Drop-in 2"]
    for s in listed:
        check_service(s, nested=False)
    body = str(first) + str(second)
    assert "Secret unlisted group" not in body  # group names are never published


def test_the_nested_service_follows_the_profile(client, entries):
    entry = entries[0]
    s = client.get(f"/api/openreferral/services/{entry.uuid}").json()
    check_service(s, nested=True)
    assert s["id"] == str(entry.uuid)
    assert s["schedules"][0]["byday"] == "MO,TU,WE,TH,FR"
    assert s["schedules"][0]["opens_at"] == "09:00:00"
    assert s["contacts"][0]["phones"][0]["number"] == "01384 812345"
    assert s["attributes"][0]["taxonomy_term"]["term"] == "Health visiting"


def test_unshared_and_unknown_entries_are_not_served(client, entries):
    own = Service.objects.get(name="Only our group")
    council = Service.objects.get(name="From a council feed")
    for key in (own.uuid, council.uuid, uuid.uuid4(), "not-a-uuid"):
        assert client.get(f"/api/openreferral/services/{key}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_our_own_importer_reads_our_api(live_server, entries, settings):
    """Round trip: the API is a feed the importer (real HTTP, loopback) can sync."""
    from directory import importer

    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": True,
                        "DIRECTORY_FEED_PER_PAGE": 2}
    feed = Feed.objects.create(name="Ourselves", base_url=f"{live_server.url}/api/openreferral")
    result = importer.sync_feed(feed)
    assert result.ok, result.status
    assert result.synced == 3 and not result.skipped
    copy = Service.objects.get(feed=feed, oruk_id=str(entries[0].uuid))
    assert copy.schedules.get().byday == "MO,TU,WE,TH,FR"
    assert copy.phones.get().number == "01384 812345"
    assert TaxonomyTerm.objects.filter(term="Health visiting").count() == 2


def test_the_api_root(client, db):
    body = client.get(reverse("openreferral:root")).json()
    assert body["version"] == "3.0"

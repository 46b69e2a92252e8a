"""The importer against a real local HTTP server serving paged ORUK v3 JSON."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory import fetch, importer
from directory.models import Feed, Service

from .feedserver import service_record

A = "0c5a3e52-8f0e-4b7c-9a7e-4f3b2d1c0a01"
B = "0c5a3e52-8f0e-4b7c-9a7e-4f3b2d1c0a02"
C = "0c5a3e52-8f0e-4b7c-9a7e-4f3b2d1c0a03"

pytestmark = pytest.mark.django_db(transaction=False)


def three(server):
    server.add(service_record(A, "Brierley Hill Family Hub"))
    server.add(service_record(B, "Stourbridge Food Bank", term="Food"))
    server.add(service_record(C, "Dudley Stay and Play", minimum_age=0, maximum_age=4))


def test_first_sync_stores_nested_services_across_pages(feed, feed_server):
    three(feed_server)
    result = importer.sync_feed(feed)
    assert result.ok, result.status
    assert result.synced == 3
    # Two per page: pages 1 and 2, then one detail request each.
    pages = [r for r in feed_server.requests if r.startswith("/api/services?")]
    assert len(pages) == 2
    hub = Service.objects.get(feed=feed, oruk_id=A)
    assert hub.is_active and hub.status == "active"
    assert hub.organisation.name == "Dudley Council"
    assert hub.minimum_age == 0 and hub.maximum_age == 5
    assert hub.schedules.get().byday == "MO,TU,WE,TH,FR"
    assert hub.locations.get().postal_code == "DY5 3DH"
    assert hub.phones.get().number == "01384 812345"
    assert hub.cost_options.get().amount == 0
    assert hub.languages.get().name == "English"
    assert list(hub.taxonomy_terms.values_list("term", flat=True)) == ["Family support"]
    feed.refresh_from_db()
    assert feed.last_ok is True
    assert feed.last_status.startswith("Synced 3 services at ")


def test_unchanged_services_are_not_fetched_again_and_changed_ones_are(feed, feed_server):
    three(feed_server)
    importer.sync_feed(feed)
    feed_server.requests.clear()
    changed = service_record(B, "Stourbridge Food Bank (new hall)", term="Food",
                             last_modified="2026-11-20T10:00:00.456Z")
    feed_server.add(changed)
    result = importer.sync_feed(feed)
    assert result.ok and result.updated == 1
    details = [r for r in feed_server.requests if r.startswith("/api/services/")]
    assert details == [f"/api/services/{B}"]
    assert Service.objects.get(oruk_id=B).name == "Stourbridge Food Bank (new hall)"
    assert Service.objects.get(oruk_id=B).schedules.count() == 1  # replaced, not doubled


def test_removed_and_inactive_services_are_marked_inactive_never_deleted(feed, feed_server):
    three(feed_server)
    importer.sync_feed(feed)
    del feed_server.services[C]
    feed_server.add(service_record(B, "Stourbridge Food Bank", status="temporarily closed",
                                   last_modified="2026-11-21T08:00:00.000Z"))
    result = importer.sync_feed(feed)
    assert result.ok
    assert Service.objects.filter(feed=feed).count() == 3
    assert not Service.objects.get(oruk_id=C).is_active
    b = Service.objects.get(oruk_id=B)
    assert not b.is_active and b.status == "temporarily closed"
    assert Service.objects.get(oruk_id=A).is_active
    assert "1 no longer listed" in result.status
    # It comes back when the feed lists it again.
    feed_server.add(service_record(C, "Dudley Stay and Play"))
    importer.sync_feed(feed)
    assert Service.objects.get(oruk_id=C).is_active


def snapshot():
    return sorted(Service.objects.values_list("oruk_id", "name", "is_active"))


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("invalid-json", "not valid JSON"),
        ("500", "answered 500"),
        ("loop", "redirected too many times"),
        ("huge", "too big"),
        ("slow", "too slow"),
    ],
)
def test_a_broken_listing_changes_nothing(feed, feed_server, settings, fault, reason):
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_TIMEOUT_SECONDS": 0.5,
                        "DIRECTORY_FEED_MAX_BYTES": 1024 * 1024}
    three(feed_server)
    importer.sync_feed(feed)
    before = snapshot()
    feed_server.add(service_record(A, "Renamed hub", last_modified="2026-12-01T00:00:00.000Z"))
    feed_server.faults["/api/services"] = fault  # every page and detail
    result = importer.sync_feed(feed)
    assert not result.ok
    assert reason in result.status
    assert snapshot() == before
    feed.refresh_from_db()
    assert feed.last_ok is False
    assert "Everything from the last good sync is kept" in feed.last_status
    assert feed.services_synced == 3  # the last good sync's figure stays


def test_a_broken_second_page_changes_nothing(feed, feed_server):
    three(feed_server)
    importer.sync_feed(feed)
    before = snapshot()
    # C is on page 2: it would look removed if page 1 alone were believed.
    whole = feed_server._page

    def broken(page, per_page):
        if page == 2:
            return {"contents": None, "total_pages": 2, "page_number": 2, "last_page": True}
        return whole(page, per_page)

    feed_server._page = broken
    result = importer.sync_feed(feed)
    assert not result.ok and "page 2" in result.status
    assert snapshot() == before


def test_bad_records_are_skipped_and_the_rest_synced(feed, feed_server):
    three(feed_server)
    importer.sync_feed(feed)
    nameless = service_record(B, "", last_modified="2026-12-02T00:00:00.000Z")
    feed_server.add(nameless)
    feed_server.listing_override[B] = {**service_record(B), "name": ""}
    bad_status = service_record(C, "Dudley Stay and Play", status="open-ish")
    feed_server.add(bad_status)
    feed_server.listing_override[C] = {
        "id": C, "name": "x", "url": "https://e.org", "status": "active",
        "last_modified": "2026-12-02T00:00:00.000Z",
    }
    feed_server.add(service_record("new-one", "New hub", minimum_age=9, maximum_age=3))
    result = importer.sync_feed(feed)
    assert result.ok
    # B's listing has no name, C's full record fails the status rule, the new one its ages.
    assert result.skipped == {"missing name": 1, "status not allowed": 1,
                              "ages the wrong way round": 1}
    assert "3 skipped: " in result.status and "missing name" in result.status
    # The last good copies are kept and still active.
    assert Service.objects.get(oruk_id=B).name == "Stourbridge Food Bank"
    assert Service.objects.get(oruk_id=B).is_active
    assert Service.objects.get(oruk_id=C).is_active
    assert not Service.objects.filter(oruk_id="new-one").exists()


def test_a_failing_detail_keeps_the_last_good_copy(feed, feed_server):
    three(feed_server)
    importer.sync_feed(feed)
    feed_server.add(service_record(A, "Renamed hub", last_modified="2026-12-01T00:00:00.000Z"))
    feed_server.faults[f"/api/services/{A}"] = "invalid-json"
    result = importer.sync_feed(feed)
    assert result.ok
    assert result.skipped == {"a response was not valid JSON": 1}
    assert Service.objects.get(oruk_id=A).name == "Brierley Hill Family Hub"
    assert Service.objects.get(oruk_id=A).is_active


def test_the_status_line_reads_plainly(feed, feed_server):
    three(feed_server)
    feed_server.listing_override[B] = {**service_record(B), "name": None}
    feed_server.listing_override[C] = {**service_record(C), "name": None}
    result = importer.sync_feed(feed)
    assert result.status.endswith("; 2 skipped: missing name")
    assert result.status.startswith("Synced 1 service at ")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/api",  # plain http off loopback
        "https://10.0.0.5/api",
        "https://192.168.1.10/api",
        "https://169.254.169.254/latest",
        "https://[::1]/api",  # loopback over https, when loopback is not allowed
        "ftp://example.org/",
        "https://user:pw@example.org/",
    ],
)
def test_feed_urls_must_be_https_on_a_public_address(db, settings, url):
    settings.DEBUG = False
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": False}
    with pytest.raises(fetch.FeedError):
        fetch.check_feed_url(url)


def test_public_https_is_allowed_and_loopback_only_with_debug(db, settings):
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": False}
    settings.DEBUG = False
    fetch.check_feed_url("https://93.184.215.14/api")
    with pytest.raises(fetch.FeedError):
        fetch.check_feed_url("http://127.0.0.1:8001/api")
    settings.DEBUG = True
    fetch.check_feed_url("http://127.0.0.1:8001/api")
    with pytest.raises(fetch.FeedError):
        fetch.check_feed_url("http://10.0.0.5/api")


def test_a_feed_refused_by_the_address_rules_is_not_fetched(db, feed_server, settings):
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": False}
    feed = Feed.objects.create(name="x", base_url=feed_server.url)
    result = importer.sync_feed(feed)
    assert not result.ok and "https" in result.status
    assert feed_server.requests == []


def test_a_redirect_to_an_internal_address_is_refused(feed, feed_server, settings):
    three(feed_server)

    def to_internal(handler):
        handler.send_response(302)
        handler.send_header("Location", "https://10.1.2.3/api/services")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    feed_server._fault = lambda handler, fault: to_internal(handler)
    feed_server.faults["/api/services"] = "redirect"
    result = importer.sync_feed(feed)
    assert not result.ok and "public address" in result.status
    assert len(feed_server.requests) == 1  # the redirect was never followed


def test_management_command_syncs_and_fails_loudly(feed, feed_server, capsys):
    three(feed_server)
    call_command("sync_directory")
    assert "Synced 3 services" in capsys.readouterr().out
    feed_server.faults["/api/services"] = "500"
    with pytest.raises(CommandError):
        call_command("sync_directory", feed=feed.pk)


def test_the_periodic_job_syncs_enabled_feeds(feed, feed_server):
    from directory.tasks import sync_directory_feeds

    three(feed_server)
    Feed.objects.create(name="off", base_url="https://10.0.0.1/", enabled=False)
    sync_directory_feeds.call_local()
    assert Service.objects.filter(feed=feed, is_active=True).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sync_that_fails_while_storing_leaves_nothing_half_replaced(feed, feed_server,
                                                                      monkeypatch):
    """One transaction per sync: when storing breaks halfway (here, the third service's
    write fails in the database), the first two updates roll back too. Runs on PostgreSQL in
    CI (and on SQLite locally)."""
    from django.db import DatabaseError

    three(feed_server)
    importer.sync_feed(feed)
    before = snapshot()
    for oruk_id, name in ((A, "Hub v2"), (B, "Food Bank v2"), (C, "Stay and Play v2")):
        feed_server.add(service_record(oruk_id, name, last_modified="2026-12-03T00:00:00.000Z"))
    real = importer._upsert
    calls = []

    def breaks_on_the_third(feed_, service, item, now):
        calls.append(item["oruk_id"])
        if len(calls) == 3:
            raise DatabaseError("disk full")
        return real(feed_, service, item, now)

    monkeypatch.setattr(importer, "_upsert", breaks_on_the_third)
    result = importer.sync_feed(feed)
    assert len(calls) == 3  # two were written before it broke
    assert not result.ok and "could not be saved" in result.status
    assert snapshot() == before
    feed.refresh_from_db()
    assert feed.last_ok is False and feed.services_synced == 3


def test_a_name_that_rebinds_to_an_internal_address_is_never_connected_to(db, monkeypatch):
    """DNS rebinding: the feed's name answers with a public address when it is checked and
    with the loopback address a moment later, when httpx connects. The connection is made to
    the address that was checked at connect time, so nothing inside is reached."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    reached = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            reached.append(conn)

    watcher = threading.Thread(target=accept, daemon=True)
    watcher.start()
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # the first answer only: the check's

    def rebinding(host, *args, **kwargs):
        if host != "feed.rebind.example":
            return real(host, *args, **kwargs)
        ip = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        with fetch.client() as http, pytest.raises(fetch.FeedError) as refused:
            fetch.get_json(http, f"https://feed.rebind.example:{port}/services")
    finally:
        stop.set()
        watcher.join()
        listener.close()
    assert refused.value.reason == "it is not on a public address"
    assert reached == []

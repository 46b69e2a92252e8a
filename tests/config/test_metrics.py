"""Prometheus metrics of web requests and the protected endpoint (issue 16)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.metrics_support import value


def test_a_page_is_counted_by_view_with_its_queries(client, member):
    client.force_login(member)
    url = reverse("groups:directory")
    view = "groups:directory"
    requests = value("village_http_requests_total", view=view, method="GET", status="2xx")
    timed = value("village_http_request_duration_seconds_count", view=view)
    queries = value("village_db_query_duration_seconds_count", alias="default")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert value("village_http_requests_total", view=view, method="GET", status="2xx") == (
        requests + 1
    )
    assert value("village_http_request_duration_seconds_count", view=view) == timed + 1
    assert value("village_db_query_duration_seconds_count", alias="default") == (
        queries + len(ctx.captured_queries)
    )


def test_the_endpoint_answers_only_with_its_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404  # not configured: not there
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/plain")
    body = r.content.decode()
    for name in (
        "village_http_requests_total",
        "village_websockets_open",
        "village_job_duration_seconds",
        "village_huey_pending_jobs",
        "village_huey_queue_reachable 1.0",
    ):
        assert name in body

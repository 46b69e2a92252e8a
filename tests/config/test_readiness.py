"""/readyz in-process: the JSON body, the status codes, and what each check looks at."""

import json
import time

import pytest

from config import health


@pytest.fixture
def heartbeat():
    health.record_heartbeat()
    yield
    from huey.contrib.djhuey import HUEY

    HUEY.get(health.HEARTBEAT_KEY)  # take it out again


def readyz(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db(transaction=True)
def test_ready_when_everything_answers(client, heartbeat, settings):
    settings.REDIS_URL = ""
    status, body = readyz(client)
    assert status == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "queue", "periodic_jobs"}
    assert all(c["ok"] for c in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_no_periodic_job_yet_is_not_ready(client, settings):
    settings.REDIS_URL = ""
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["periodic_jobs"] == {
        "ok": False,
        "seconds": body["checks"]["periodic_jobs"]["seconds"],
        "error": "No periodic job has run yet: is run_huey running?",
    }
    assert body["checks"]["database"]["ok"]


@pytest.mark.django_db(transaction=True)
def test_an_old_heartbeat_is_not_ready(client, settings):
    settings.REDIS_URL = ""
    settings.VILLAGE_READY_HEARTBEAT_SECONDS = 60
    health.record_heartbeat(time.time() - 600)
    try:
        status, body = readyz(client)
    finally:
        health.record_heartbeat()
    assert status == 503
    assert "ran 600 seconds ago" in body["checks"]["periodic_jobs"]["error"]


@pytest.mark.django_db(transaction=True)
def test_a_backed_up_queue_is_not_ready(client, heartbeat, settings):
    from huey.contrib.djhuey import HUEY

    settings.REDIS_URL = ""
    settings.VILLAGE_READY_MAX_PENDING_JOBS = 2
    for i in range(3):
        HUEY.storage.enqueue(f"job-{i}".encode())
    try:
        status, body = readyz(client)
    finally:
        HUEY.storage.flush_queue()
    assert status == 503
    assert body["checks"]["queue"]["error"].startswith("3 jobs are waiting (more than 2)")


def test_heartbeat_task_records_the_time():
    from config.tasks import heartbeat

    before = time.time()
    heartbeat.call_local()
    assert health.last_heartbeat() >= before


def test_liveness_asks_nothing(client):
    assert client.get("/healthz").content == b"ok"

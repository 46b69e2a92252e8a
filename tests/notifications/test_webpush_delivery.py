"""Web push delivery: every device pushed exactly once, even with two Huey workers on the same
batch at once; a slow or broken push service never stops the rest; members' phone choices
are honoured."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connections

from notifications import webpush
from notifications.models import Notification, Preference, PushDelivery, PushSubscription
from notifications.services import notify
from tests.factories import UserFactory

from .webpush_support import Browser, start_push_service

NOON = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def push_service():
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VILLAGE = {**settings.VILLAGE, "WEBPUSH_ALLOW_LOOPBACK": True}
    webpush._vapid_headers.clear()


def device(user, service, name: str, browser: Browser | None = None) -> PushSubscription:
    browser = browser or Browser()
    keys = browser.subscription("")["keys"]
    return PushSubscription.objects.create(
        user=user, endpoint=service.endpoint(name), p256dh=keys["p256dh"], auth=keys["auth"],
        name=name, browser_key="k",
    )  # fmt: skip


def notes_for(users, **kw) -> list[int]:
    # email=False and no on-commit: the test runs the push task itself.
    return [n.pk for n in notify(user_ids=[u.pk for u in users], kind="meetup_change",
                                 title="Moved", email=False, **kw)]  # fmt: skip


def _twice_at_once(job) -> list[int]:
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_batch_push_every_device_exactly_once(push_service, monkeypatch):
    from django.db import connection

    from notifications import services

    queued = []
    monkeypatch.setattr(services, "queue_pushes", queued.append)  # the workers below run it

    if connection.vendor != "postgresql":  # SQLite's in-memory test database locks tables
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    users = [UserFactory() for _ in range(15)]
    devices = [device(u, push_service, f"{u.pk}-{i}") for u in users for i in range(2)]
    ids = notes_for(users)
    assert queued == [ids]
    with time_machine.travel(NOON, tick=True):
        # The same batch queued twice (a retried enqueue), taken by two workers at once.
        results = _twice_at_once(lambda: webpush.push_notifications(ids))
    assert sum(results) == len(devices) == 30
    for d in devices:
        assert len(push_service.to(d.endpoint.rsplit("/", 1)[1])) == 1
    assert PushDelivery.objects.count() == 30
    assert set(PushDelivery.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_running_the_task_again_pushes_nothing_new(push_service):
    user = UserFactory()
    device(user, push_service, "phone")
    ids = notes_for([user])
    with time_machine.travel(NOON, tick=True):
        assert webpush.push_notifications(ids) == 1
        assert webpush.push_notifications(ids) == 0
        assert webpush.waiting_pushes_send() == 0
    assert len(push_service.to("phone")) == 1 and PushDelivery.objects.count() == 1


@pytest.mark.django_db
def test_no_devices_costs_one_query(django_assert_num_queries):
    user = UserFactory()
    ids = notes_for([user])
    with django_assert_num_queries(1):
        assert webpush.deliveries_create(ids) == []


@pytest.mark.django_db
def test_a_slow_push_service_times_out_and_is_tried_later_without_holding_up_the_others(
    push_service, settings
):
    slow = start_push_service()
    slow.delay = 2.0
    try:
        settings.VILLAGE = {**settings.VILLAGE, "WEBPUSH_TIMEOUT_SECONDS": 0.3}
        user = UserFactory()
        device(user, slow, "slow")
        device(user, push_service, "fast")
        with time_machine.travel(NOON, tick=True):
            assert webpush.push_notifications(notes_for([user])) == 1
        assert len(push_service.accepted("fast")) == 1
        row = PushDelivery.objects.get(subscription__endpoint__endswith="/slow")
        assert row.state == "waiting" and row.attempts == 1 and row.send_after > NOON
    finally:
        slow.server.shutdown()
        slow.server.server_close()


@pytest.mark.django_db
def test_a_broken_device_never_blocks_the_batch_and_is_given_up_after_its_tries(
    push_service, settings
):
    settings.VILLAGE = {**settings.VILLAGE, "WEBPUSH_MAX_ATTEMPTS": 2}
    user = UserFactory()
    broken = device(user, push_service, "broken")
    PushSubscription.objects.filter(pk=broken.pk).update(p256dh="AAAA")  # corrupted keys
    device(user, push_service, "ok")
    push_service.answer("forbidden", (403, {}))
    device(user, push_service, "forbidden")
    with time_machine.travel(NOON, tick=True):
        assert webpush.push_notifications(notes_for([user])) == 1
        row = PushDelivery.objects.get(subscription=broken)
        assert row.state == "waiting" and row.attempts == 1
        assert webpush.waiting_pushes_send(now=row.send_after) == 0
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == 1
    assert PushDelivery.objects.get(subscription__endpoint__endswith="/forbidden").state == "failed"
    assert len(push_service.accepted("ok")) == 1


@pytest.mark.django_db
def test_phone_choices_and_closed_accounts_are_honoured(push_service, client):
    wants, doesnt, closed = UserFactory(), UserFactory(), UserFactory()
    for u in (wants, doesnt, closed):
        device(u, push_service, f"u{u.pk}")
    client.force_login(doesnt)
    client.post("/notifications/phones/choices/", {"shown": ["meetup_change", "mention"],
                                                    "push": ["mention"]})  # fmt: skip
    assert Preference.objects.get(user=doesnt, kind="meetup_change").push is False
    assert Preference.objects.get(user=doesnt, kind="mention").push is True
    closed.is_active = False
    closed.save()
    with time_machine.travel(NOON, tick=True):
        assert webpush.push_notifications(notes_for([wants, doesnt, closed])) == 1
    assert len(push_service.to(f"u{wants.pk}")) == 1
    assert push_service.to(f"u{doesnt.pk}") == [] and push_service.to(f"u{closed.pk}") == []


@pytest.mark.django_db
def test_stale_claims_of_a_dead_worker_are_picked_up(push_service):
    user = UserFactory()
    device(user, push_service, "phone")
    ids = notes_for([user])
    PushDelivery.objects.bulk_create(
        [PushDelivery(notification_id=ids[0], subscription=PushSubscription.objects.get(),
                      state="sending", claim="dead", claimed_at=NOON, send_after=NOON)]  # fmt: skip
    )
    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=True):
        assert webpush.waiting_pushes_send() == 0  # it may still be working
    later = NOON + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=True):
        assert webpush.waiting_pushes_send(now=later) == 1
    assert len(push_service.to("phone")) == 1
    assert Notification.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_huey_consumers_and_one_batch_queued_twice_push_each_device_once(
    push_service, monkeypatch, tmp_path
):
    """Real `run_huey` consumer processes on a shared queue and the test's database."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    from notifications import services

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    monkeypatch.setattr(services, "queue_pushes", lambda ids: None)  # queued below, for real
    users = [UserFactory() for _ in range(40)]
    devices = [device(u, push_service, f"{u.pk}-{i}") for u in users for i in range(2)]
    ids = notes_for(users)
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    root = Path(__file__).resolve().parents[2]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}",
        "VILLAGE_VAR_DIR": str(tmp_path),  # its own Huey queue (SQLite) for these processes
        "HUEY_IMMEDIATE": "0",
        "REDIS_URL": "",
    }
    enqueue = (
        "import django; django.setup()\n"
        "from notifications.tasks import push_notifications\n"
        f"ids = {ids!r}\n"
        "push_notifications(ids[:25]); push_notifications(ids[25:])\n"
        "push_notifications(ids)\n"  # the same batch again, as a retried enqueue would
    )
    subprocess.run([sys.executable, "-c", enqueue], cwd=root, env=env, check=True, timeout=120)
    consumers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "-w", "2", "-k", "thread", "-n"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(push_service.pushes) < len(devices) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # room for a wrong second push to arrive
    finally:
        for c in consumers:
            c.terminate()
        for c in consumers:
            c.wait(timeout=30)
    paths = sorted(p.path for p in push_service.pushes)
    assert paths == sorted(f"/push/{d.endpoint.rsplit('/', 1)[1]}" for d in devices)
    assert PushDelivery.objects.filter(state="sent").count() == len(devices) == 80


@pytest.mark.django_db
def test_an_urgent_alert_queued_while_the_queue_was_down_is_pushed_by_the_sweep(
    push_service, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    def queue_down(ids):
        raise ConnectionError("redis down")

    moderator = UserFactory(is_moderator=True)
    device(moderator, push_service, "mod")
    with (
        time_machine.travel(NOON, tick=True),
        monkeypatch.context() as m,
        django_capture_on_commit_callbacks(execute=True),
    ):
        m.setattr(tasks, "push_notifications", queue_down)
        notify(user_ids=[moderator.pk], kind="safeguarding", title="Urgent", urgent=True,
               email=False)  # fmt: skip
    assert push_service.to("mod") == []  # the page carried on; nothing was pushed
    later = NOON + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=True):
        assert webpush.waiting_pushes_send(now=later) == 1
        assert webpush.waiting_pushes_send(now=later + dt.timedelta(minutes=1)) == 0
    assert len(push_service.to("mod")) == 1

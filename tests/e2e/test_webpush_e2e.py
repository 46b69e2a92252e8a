"""Phone notifications in a real browser: the profile's section at phone size (and its devices),
and a push delivered to the service worker through the DevTools protocol
(`ServiceWorker.deliverPushMessage`) shows exactly what the payload says. The second needs the
site's service worker (/sw.js, which imports static/js/sw-push.js) and is skipped until it
exists."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

PARENT = "parent@example.com"


def _add_device(server, email: str, name: str, endpoint: str) -> None:
    server.shell(
        "from accounts.models import User\n"
        "from notifications.models import PushSubscription\n"
        f"u = User.objects.get(email={email!r})\n"
        f"PushSubscription.objects.filter(endpoint={endpoint!r}).delete()\n"
        "PushSubscription.objects.create(user=u, endpoint="
        f"{endpoint!r}, p256dh='x', auth='y', name={name!r}, browser_key='elsewhere')\n"
    )


def test_the_phone_section_of_the_profile(demo_data, phone):
    _add_device(demo_data, PARENT, "Kitchen phone", "https://fcm.googleapis.com/fcm/send/e2e-1")
    page = phone()
    log_in(page, demo_data, PARENT)
    page.goto(f"{demo_data.url}/me/#phones")
    section = page.locator("#phones")
    expect(section.get_by_role("heading", name="Notifications on your phone")).to_be_visible()
    # Chromium can do push, so push.js shows the button (and hides the "can't" note).
    expect(section.get_by_role("button", name="Notify me on this phone")).to_be_visible()
    expect(section.locator("[data-push-unsupported]")).to_be_hidden()
    expect(section.get_by_label("Name")).to_have_value("Kitchen phone")
    expect(section.get_by_label("Show what it says on the lock screen")).not_to_be_checked()
    expect(section.get_by_role("button", name="Stop notifying Kitchen phone")).to_be_visible()
    section.scroll_into_view_if_needed()
    screenshot(page, "profile-phones", full_page=False)
    assert_accessible(page, "profile with phones")
    # Renaming works without JavaScript's help (a plain form).
    section.get_by_label("Name").fill("Phone by the kettle")
    section.get_by_label("Show what it says on the lock screen").check()
    section.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#phones").get_by_label("Name")).to_have_value("Phone by the kettle")
    expect(page.get_by_label("Show what it says on the lock screen")).to_be_checked()


def _has_service_worker(server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.url}/sw.js", timeout=10) as response:
            return response.status == 200 and "sw-push" in response.read().decode()
    except urllib.error.URLError:
        return False


def test_a_push_shows_only_what_the_payload_says(demo_data, phone):
    if not _has_service_worker(demo_data):
        pytest.skip("no /sw.js importing sw-push.js yet (the offline helper's part of issue 13)")
    page = phone()
    page.context.grant_permissions(["notifications"], origin=demo_data.url)
    log_in(page, demo_data, PARENT)
    page.goto(f"{demo_data.url}/me/")
    page.evaluate(
        "async () => { if (!(await navigator.serviceWorker.getRegistration('/')))"
        " { await navigator.serviceWorker.register('/sw.js', {scope: '/'}); }"
        " await navigator.serviceWorker.ready; }"
    )
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not [r for r in registrations if not r.get("isDeleted")]:
        assert time.monotonic() < deadline, "the service worker never registered"
        page.wait_for_timeout(100)
    registration = [r for r in registrations if not r.get("isDeleted")][-1]
    payload = {
        "title": "New mention in Brierley Hill Parents' Circle",
        "body": "",
        "url": "/groups/open-circle/chat/#m-1",
        "tag": "village-e2e",
        "urgent": False,
        "badge": 3,
        "actions": [],
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": demo_data.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    shown: list[dict] = []
    deadline = time.monotonic() + 10
    while not shown:
        assert time.monotonic() < deadline, "no notification was shown"
        page.wait_for_timeout(100)
        shown = page.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map("
            "n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"
        )
    assert shown == [
        {
            "title": payload["title"],
            "body": "",
            "tag": "village-e2e",
            "url": f"{demo_data.url}/groups/open-circle/chat/#m-1",
        }
    ]

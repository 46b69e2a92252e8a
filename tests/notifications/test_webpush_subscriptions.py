"""Turning phone notifications on and off: bad subscriptions are refused with a clear message
and stored nowhere; at most so many devices; a device is its member's alone; logging out of a
browser stops its notifications."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import PushSubscription
from tests.factories import UserFactory

from .webpush_support import Browser, b64url

pytestmark = pytest.mark.django_db

URL = "/notifications/phones/"
GOOD = "https://fcm.googleapis.com/fcm/send/abc123"


@pytest.fixture
def loopback(settings):
    settings.VILLAGE = {**settings.VILLAGE, "WEBPUSH_ALLOW_LOOPBACK": True}


def post(client: Client, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused(response, words: str) -> None:
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert PushSubscription.objects.count() == 0


@pytest.mark.parametrize(
    ("endpoint", "words"),
    [
        ("http://fcm.googleapis.com/fcm/send/abc", "secure (https)"),
        ("ftp://fcm.googleapis.com/x", "secure (https)"),
        ("http://127.0.0.1:9/push", "secure (https)"),  # loopback only when a test allows it
        ("https://127.0.0.1/push", "private network"),
        ("https://[::1]/push", "private network"),
        ("https://10.1.2.3/push", "private network"),
        ("https://192.168.1.20/push", "private network"),
        ("https://169.254.169.254/latest/meta-data", "private network"),  # cloud metadata
        ("https://[fd00::1]/push", "private network"),
        ("https://localhost/push", "private network"),
        ("https://printer.local/push", "private network"),
        ("https://user:pw@fcm.googleapis.com/x", "doesn't look right"),
        ("https:///nohost", "doesn't look right"),
        ("https://fcm.googleapis.com/" + "a" * 1000, "too long"),
        ("", "didn't give us an address"),
        (None, "didn't give us an address"),
        (["https://fcm.googleapis.com/x"], "didn't give us an address"),
    ],
)
def test_bad_endpoints_are_refused_and_nothing_is_stored(user, endpoint, words):
    body = Browser().subscription("x")
    body["endpoint"] = endpoint
    refused(post(logged_in(user), body), words)


def _not_on_the_curve() -> str:
    raw = bytearray(b"\x04" + bytes(64))
    raw[-1] = 7  # (0, 7): not a point of P-256
    return b64url(bytes(raw))


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"p256dh": _not_on_the_curve()}, "keys don't look right"),
        ({"p256dh": b64url(b"\x04" + bytes(10))}, "keys don't look right"),
        ({"p256dh": "not base64 !!!"}, "keys don't look right"),
        ({"p256dh": None}, "keys don't look right"),
        ({"auth": b64url(bytes(15))}, "keys don't look right"),
        ({"auth": b64url(bytes(17))}, "keys don't look right"),
        ({"auth": ""}, "keys don't look right"),
        ({"auth": 12345}, "keys don't look right"),
    ],
)
def test_bad_keys_are_refused(user, keys, words, loopback):
    body = Browser().subscription("http://127.0.0.1:9/push/x")
    body["keys"] = {**body["keys"], **keys}
    refused(post(logged_in(user), body), words)


def test_nonsense_is_refused_kindly(user):
    refused(post(logged_in(user), "{not json"), "Something went wrong")
    refused(post(logged_in(user), "[1, 2]"), "Something went wrong")


def test_a_request_from_another_website_is_refused(user, loopback):
    body = Browser().subscription("http://127.0.0.1:9/push/x")
    response = post(logged_in(user), body, HTTP_ORIGIN="https://evil.example")
    refused(response, "came from another website")


def test_with_csrf_checks_another_website_cannot_subscribe_anyone(user, loopback):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post(client, Browser().subscription("http://127.0.0.1:9/push/x"))
    assert response.status_code == 403
    assert PushSubscription.objects.count() == 0


def test_logged_out_visitors_cannot_subscribe(db, loopback):
    response = post(Client(), Browser().subscription("http://127.0.0.1:9/push/x"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert PushSubscription.objects.count() == 0


def test_a_good_subscription_is_stored_with_a_friendly_name(user, loopback):
    browser = Browser()
    response = post(
        logged_in(user),
        browser.subscription("http://127.0.0.1:9/push/x"),
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 201
    device = PushSubscription.objects.get()
    assert device.user == user and device.name == "Safari on an iPhone"
    assert device.p256dh == browser.p256dh and device.previews is False  # private by default
    assert response.json() == {"id": device.pk, "name": "Safari on an iPhone"}


def test_the_same_browser_again_is_one_device_and_a_shared_phone_changes_hands(loopback):
    sam, priya = UserFactory(), UserFactory()
    browser = Browser()
    endpoint = "http://127.0.0.1:9/push/shared"
    assert post(logged_in(sam), browser.subscription(endpoint)).status_code == 201
    assert post(logged_in(sam), browser.subscription(endpoint)).status_code == 201
    assert PushSubscription.objects.filter(user=sam).count() == 1
    # Sam logged out without it being removed (say, the session expired); Priya logs in.
    assert post(logged_in(priya), browser.subscription(endpoint)).status_code == 201
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [priya.pk]


def test_a_member_can_have_at_most_ten_devices(user, loopback):
    client = logged_in(user)
    for i in range(10):
        response = post(client, Browser().subscription(f"http://127.0.0.1:9/push/{i}"))
        assert response.status_code == 201
    response = post(client, Browser().subscription("http://127.0.0.1:9/push/eleventh"))
    assert response.status_code == 400
    assert "already get notifications on 10 devices" in response.json()["error"]
    assert PushSubscription.objects.filter(user=user).count() == 10


def _device(user, name="x") -> PushSubscription:
    client = logged_in(user)
    response = post(client, Browser().subscription(f"http://127.0.0.1:9/push/{name}"))
    assert response.status_code == 201
    return PushSubscription.objects.get(pk=response.json()["id"])


def test_only_its_member_can_rename_or_stop_a_device(loopback):
    owner, other = UserFactory(), UserFactory()
    device = _device(owner)
    intruder = logged_in(other)
    rename = reverse("notifications:push_device", args=[device.pk])
    stop = reverse("notifications:push_device_delete", args=[device.pk])
    assert intruder.post(rename, {"name": "Mine now", "previews": "on"}).status_code == 404
    assert intruder.post(stop).status_code == 404
    device.refresh_from_db()
    assert device.name != "Mine now" and device.previews is False
    # The owner can.
    mine = logged_in(owner)
    assert mine.post(rename, {"name": "Kitchen phone", "previews": "on"}).status_code == 302
    device.refresh_from_db()
    assert device.name == "Kitchen phone" and device.previews is True
    assert mine.post(rename, {"name": "   ", "previews": "on"}).status_code == 302
    device.refresh_from_db()
    assert device.name == "Kitchen phone"  # a blank name changes nothing
    assert mine.post(stop).status_code == 302
    assert not PushSubscription.objects.filter(pk=device.pk).exists()


def test_logging_out_of_a_browser_stops_only_that_browsers_notifications(user, loopback):
    phone, laptop = logged_in(user), logged_in(user)
    assert post(phone, Browser().subscription("http://127.0.0.1:9/push/phone")).status_code == 201
    assert post(laptop, Browser().subscription("http://127.0.0.1:9/push/lap")).status_code == 201
    response = phone.post(reverse("account_logout"))
    assert response.status_code == 302
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        "http://127.0.0.1:9/push/lap"
    ]


def test_the_profile_lists_my_devices_not_anyone_elses(loopback):
    me, other = UserFactory(), UserFactory()
    client = logged_in(me)
    post(client, Browser().subscription("http://127.0.0.1:9/push/mine"))
    theirs = _device(other, "theirs")
    PushSubscription.objects.filter(pk=theirs.pk).update(name="Their secret phone")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Notify me on this phone" in page
    assert "Stop notifying this phone" in page  # this browser's device is marked
    assert "Their secret phone" not in page
    assert "http://127.0.0.1:9/push/mine" not in page  # the endpoint is a capability
    assert "js/push.js" in page


def test_subscribing_is_rate_limited(user, loopback, settings):
    limits = {**settings.VILLAGE["RATE_LIMITS"], "push_subscribe": "2/h"}
    settings.VILLAGE = {**settings.VILLAGE, "RATE_LIMITS": limits}
    client = logged_in(user)
    for i in range(2):
        response = post(client, Browser().subscription(f"http://127.0.0.1:9/push/r{i}"))
        assert response.status_code == 201
    response = post(client, Browser().subscription("http://127.0.0.1:9/push/r3"))
    assert response.status_code == 429
    assert PushSubscription.objects.filter(user=user).count() == 2

"""Web push end to end, server side: a browser's keys, a real subscription through the view,
real services (a mention, a nudge, an urgent alert), and a real HTTP push service on this
machine that checks the VAPID JWT and the headers, and decrypts exactly what a phone would
get (aes128gcm)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from chat.services import message_send, room_for_group
from meetups import services as meetups
from meetups.models import NudgeReply, Occurrence
from moderation import services as moderation
from notifications.models import PushDelivery, PushSubscription
from notifications.services import notify
from tests.conftest import SENTINEL
from tests.factories import DEFAULT, GroupFactory, MembershipFactory, UserFactory
from tests.meetups.conftest import held, make_members

from .webpush_support import Browser, start_push_service, vapid_claims

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOON = dt.datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # London: not quiet hours
LATE = dt.datetime(2026, 1, 14, 23, 30, tzinfo=UTC)  # London: quiet hours (21:00-08:00)
GROUP_NAME = "Brierley Hill Parents' Circle"
ORIGIN = "http://testserver"  # the test client's own site


def push_note_id(user) -> int:
    from notifications.models import Notification

    return Notification.objects.filter(user=user).latest("pk").pk


PAYLOAD_KEYS = {"title", "body", "url", "tag", "urgent", "badge", "actions"}


@pytest.fixture
def push_service():
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _loopback_push_service(settings):
    from notifications import webpush

    settings.VILLAGE = {**settings.VILLAGE, "WEBPUSH_ALLOW_LOOPBACK": True}
    webpush._vapid_headers.clear()
    yield
    webpush._vapid_headers.clear()


def subscribe(user, browser: Browser, endpoint: str) -> tuple[Client, PushSubscription]:
    """Log in in a new browser and turn notifications on there, as push.js does."""
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("notifications:push_subscribe"),
        data=json.dumps(browser.subscription(endpoint)),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36",
    )
    assert response.status_code == 201, response.content
    return client, PushSubscription.objects.get(pk=response.json()["id"])


def turn_previews_on(client: Client, device: PushSubscription) -> None:
    response = client.post(
        reverse("notifications:push_device", args=[device.pk]),
        {"name": "My tablet", "previews": "on"},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.previews and device.name == "My tablet"


def check_headers(push, service, *, ttl: int, urgency: str) -> None:
    vapid_claims(push, audience=service.origin)
    assert push.headers["ttl"] == str(ttl)
    assert push.headers["urgency"] == urgency
    assert push.headers["content-encoding"] == "aes128gcm"
    assert SENTINEL.encode() not in push.body  # encrypted: nothing readable on the wire


def test_a_mention_shows_only_group_and_kind_unless_previews_are_on(
    push_service, django_capture_on_commit_callbacks
):
    group = GroupFactory(name=GROUP_NAME)
    sam = MembershipFactory(group=group, user__display_name="Sam").user
    priya = MembershipFactory(group=group, user__display_name="Priya").user
    phone, tablet = Browser(), Browser()
    subscribe(priya, phone, push_service.endpoint("phone"))
    tablet_client, tablet_device = subscribe(priya, tablet, push_service.endpoint("tablet"))
    turn_previews_on(tablet_client, tablet_device)

    with time_machine.travel(NOON, tick=True), django_capture_on_commit_callbacks(execute=True):
        result = message_send(
            user=sam,
            room=room_for_group(group.pk),
            body=f"@Priya {SENTINEL} my partner hit me",
            client_id=uuid.uuid4(),
        )
    message_id = result.message.pk
    [to_phone] = push_service.to("phone")
    [to_tablet] = push_service.to("tablet")
    for push in (to_phone, to_tablet):
        check_headers(push, push_service, ttl=24 * 3600, urgency="normal")

    room_url = reverse("chat:room", kwargs={"slug": group.slug}) + f"#m-{message_id}"
    private = phone.decrypt(to_phone.body)
    assert set(private) == PAYLOAD_KEYS
    assert private["title"] == f"New mention in {GROUP_NAME}"
    assert private["body"] == ""
    assert private["url"] == room_url
    assert private["actions"] == [] and private["urgent"] is False
    assert private["badge"] == 1  # Priya's unread notifications
    dumped = json.dumps(private)
    assert "Sam" not in dumped and SENTINEL not in dumped and "partner" not in dumped

    preview = tablet.decrypt(to_tablet.body)
    assert preview["title"] == f"Sam mentioned you in {GROUP_NAME}"
    assert SENTINEL in preview["body"] and "partner hit me" in preview["body"]
    assert preview["url"] == room_url
    # Recorded once per device, and the device's last success noted.
    assert PushDelivery.objects.filter(state="sent").count() == 2
    assert PushSubscription.objects.filter(last_success_at__isnull=False).count() == 2


def _nudge_world():
    group = GroupFactory(name=GROUP_NAME, time_zone="Europe/London")
    fac = MembershipFactory(group=group, role="facilitator").user
    (member,) = make_members(group, 1)
    weeks = [dt.datetime(2026, 1, 7, 18, 0, tzinfo=UTC) + dt.timedelta(weeks=i) for i in (-1, 0)]
    held(group, fac, start_utc=weeks[0], present=[member])
    occ = held(group, fac, start_utc=weeks[1], present=[fac])
    return group, member, occ


def test_a_nudge_opens_the_nudge_page_and_its_buttons_answer_with_one_tap(
    push_service, django_capture_on_commit_callbacks
):
    group, member, occ = _nudge_world()
    browser = Browser()
    subscribe(member, browser, push_service.endpoint("phone"))
    now = dt.datetime(2026, 1, 8, 10, 0, tzinfo=UTC)  # the morning after the missed meetup
    with time_machine.travel(now, tick=True), django_capture_on_commit_callbacks(execute=True):
        assert meetups.nudges_send(now=now).sent == 1
    [push] = push_service.to("phone")
    check_headers(push, push_service, ttl=3 * 24 * 3600, urgency="normal")
    payload = browser.decrypt(push.body)
    assert payload["title"] == f"We missed you at {GROUP_NAME}"
    assert payload["body"] == ""
    assert payload["url"] == reverse("meetups:missed", kwargs={"slug": group.slug, "pk": occ.pk})
    assert [(a["action"], a["title"]) for a in payload["actions"]] == [
        ("ok", "I'm OK"),
        ("contact", "Please get in touch"),
    ]
    # The button posts to Village with the member's own session (a service worker sends the
    # page's cookies and its Origin, but cannot read a CSRF token); the push carries no token.
    contact = payload["actions"][1]["url"]
    assert contact == reverse("notifications:push_answer", args=[push_note_id(member), "contact"])
    from notifications.links import push_actions
    from notifications.models import Notification

    note = Notification.objects.get(pk=push_note_id(member))
    secret_links = [link for _a, _l, link in push_actions(note)]
    assert secret_links and not any(  # the email's signed one-tap links are not in it
        link.rsplit("/", 2)[-2] in json.dumps(payload) for link in secret_links
    )
    worker = Client(enforce_csrf_checks=True)
    assert worker.post(contact, HTTP_ORIGIN=ORIGIN).status_code == 401  # no session
    worker.force_login(member)
    assert worker.post(contact, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert not NudgeReply.objects.filter(user=member, occurrence=occ).exists()
    stranger = Client(enforce_csrf_checks=True)
    stranger.force_login(MembershipFactory(group=group).user)
    assert stranger.post(contact, HTTP_ORIGIN=ORIGIN).status_code == 404  # not theirs
    with time_machine.travel(now + dt.timedelta(minutes=5), tick=True):  # the link is fresh
        response = worker.post(contact, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert NudgeReply.objects.get(user=member, occurrence=occ).choice == "contact"


def test_a_reminder_offers_going_and_cant_make_it(
    push_service, django_capture_on_commit_callbacks
):
    group = GroupFactory(name=GROUP_NAME, time_zone="Europe/London")
    fac = MembershipFactory(group=group, role="facilitator").user
    (member,) = make_members(group, 1)
    browser = Browser()
    subscribe(member, browser, push_service.endpoint("phone"))
    occ = meetups.one_off_create(
        group=group, by=fac, title="Weekly", on=dt.date(2026, 1, 15),
        start_time=dt.time(19, 0), place=meetups.Place(venue_name="Hub"), allow_past=True,
    )  # fmt: skip
    now = occ.starts_at - dt.timedelta(hours=5)
    meetups.rsvp_set(occurrence=occ, user=member, answer="maybe", now=now - dt.timedelta(days=3))
    with time_machine.travel(now, tick=True), django_capture_on_commit_callbacks(execute=True):
        assert meetups.reminders_send(now=now).sent == 1
    payload = browser.decrypt(push_service.to("phone")[-1].body)
    assert payload["title"] == f"Meetup reminder from {GROUP_NAME}"
    assert [a["title"] for a in payload["actions"]] == ["Going", "Can't make it"]
    going = payload["actions"][0]["url"]
    worker = Client(enforce_csrf_checks=True)
    worker.force_login(member)
    with time_machine.travel(now + dt.timedelta(minutes=5), tick=True):
        assert worker.post(going, HTTP_ORIGIN=ORIGIN).status_code == 200
    assert Occurrence.objects.get(pk=occ.pk).rsvps.get(user=member).answer == "going"


def test_an_urgent_alert_reaches_moderators_in_quiet_hours_and_never_says_what_was_written(
    push_service, django_capture_on_commit_callbacks
):
    group = GroupFactory(name=GROUP_NAME)
    member = MembershipFactory(group=group).user
    moderator = UserFactory(is_moderator=True, quiet_hours=DEFAULT)  # 21:00-08:00
    browser = Browser()
    client, device = subscribe(moderator, browser, push_service.endpoint("mod"))
    turn_previews_on(client, device)  # even with previews on
    with time_machine.travel(LATE, tick=True), django_capture_on_commit_callbacks(execute=True):
        moderation.concern_raise(user=member, group_slug=group.slug, note=SENTINEL)
    [push] = push_service.to("mod")
    check_headers(push, push_service, ttl=24 * 3600, urgency="high")
    payload = browser.decrypt(push.body)
    assert payload["title"] == f"Urgent: someone in {GROUP_NAME} may need help"
    assert payload["body"] == "" and payload["urgent"] is True
    assert payload["url"].startswith(reverse("moderation:queue"))
    assert SENTINEL not in json.dumps(payload)


def test_quiet_hours_hold_the_push_until_they_end(push_service, django_capture_on_commit_callbacks):
    from notifications.webpush import waiting_pushes_send

    group = GroupFactory(name=GROUP_NAME)
    sam = MembershipFactory(group=group, user__display_name="Sam").user
    priya = MembershipFactory(
        group=group, user__display_name="Priya", user__quiet_hours=DEFAULT
    ).user
    subscribe(priya, Browser(), push_service.endpoint("phone"))
    with time_machine.travel(LATE, tick=True):
        with django_capture_on_commit_callbacks(execute=True):
            message_send(
                user=sam, room=room_for_group(group.pk), body="@Priya hi", client_id=uuid.uuid4()
            )
        assert push_service.to("phone") == []
    [row] = PushDelivery.objects.all()
    eight = dt.datetime(2026, 1, 15, 8, 0, tzinfo=UTC)  # London, winter: UTC
    assert row.state == "waiting" and row.send_after == eight
    assert waiting_pushes_send(now=eight - dt.timedelta(minutes=1)) == 0
    assert push_service.to("phone") == []
    with time_machine.travel(eight, tick=True):
        assert waiting_pushes_send(now=eight) == 1
        assert waiting_pushes_send(now=eight + dt.timedelta(minutes=1)) == 0  # once
    assert len(push_service.to("phone")) == 1


def test_gone_devices_are_forgotten_and_busy_push_services_are_tried_again(
    push_service, django_capture_on_commit_callbacks
):
    from notifications.services import notify
    from notifications.webpush import waiting_pushes_send

    member = UserFactory()
    subscribe(member, Browser(), push_service.endpoint("gone"))
    subscribe(member, Browser(), push_service.endpoint("busy"))
    subscribe(member, Browser(), push_service.endpoint("fine"))
    push_service.answer("gone", (410, {}))
    push_service.answer("busy", (429, {"Retry-After": "120"}), (503, {}))
    with time_machine.travel(NOON, tick=True), django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[member.pk], kind="meetup_change", title="Moved", email=False)
    # The gone device is deleted; the busy one waits (Retry-After); the fine one got it.
    assert not PushSubscription.objects.filter(endpoint__endswith="/gone").exists()
    assert len(push_service.accepted("fine")) == 1
    busy = PushDelivery.objects.get(subscription__endpoint__endswith="/busy")
    assert busy.state == "waiting" and busy.attempts == 1
    assert dt.timedelta(seconds=120) <= busy.send_after - NOON <= dt.timedelta(seconds=125)
    later = busy.send_after
    with time_machine.travel(later, tick=True):
        assert waiting_pushes_send(now=later) == 0  # 503: backoff again
        busy.refresh_from_db()
        assert busy.attempts == 2 and busy.send_after > later
        assert waiting_pushes_send(now=busy.send_after) == 1
    assert [p.status for p in push_service.to("busy")] == [429, 503, 201]
    assert len(push_service.accepted("fine")) == 1  # never pushed twice


def test_a_push_read_in_village_while_it_waited_is_not_sent(
    push_service, django_capture_on_commit_callbacks
):
    from notifications.services import notification_mark_read
    from notifications.webpush import waiting_pushes_send

    member = UserFactory(quiet_hours=DEFAULT)
    subscribe(member, Browser(), push_service.endpoint("phone"))
    with time_machine.travel(LATE, tick=True), django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[member.pk], kind="meetup_change", title="Moved", email=False)
    notification_mark_read(user=member)  # seen under the bell before the morning
    eight = dt.datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    with time_machine.travel(eight, tick=True):
        assert waiting_pushes_send(now=eight) == 0
    assert push_service.to("phone") == []
    assert PushDelivery.objects.get().state == "skipped"


def test_a_check_in_message_reaches_the_members_phone_without_its_words(
    push_service, django_capture_on_commit_callbacks
):
    """Issue 17's hand-over reaches the member's lock screen: the facilitator writes in the
    private check-in; the push says who it is from in general terms and opens the check-in."""
    from chat import checkins

    group = GroupFactory(name=GROUP_NAME)
    jo = MembershipFactory(group=group, role="facilitator", user__display_name="Jo").user
    chris = MembershipFactory(group=group, user__display_name="Chris").user
    phone = Browser()
    subscribe(chris, phone, push_service.endpoint("phone"))
    with time_machine.travel(NOON, tick=True), django_capture_on_commit_callbacks(execute=True):
        room = checkins.checkin_start(user=jo, group=group, member=chris)
        body = f"{SENTINEL} how are you doing?"
        message_send(user=jo, room=room, body=body, client_id=uuid.uuid4())
    [push] = push_service.to("phone")
    payload = phone.decrypt(push.body)
    assert payload["url"].startswith(checkins.checkin_url(room))
    assert payload["body"] == "" and SENTINEL not in json.dumps(payload)
    assert GROUP_NAME in payload["title"]

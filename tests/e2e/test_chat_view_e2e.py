"""Where the room opens and where it stays, on a phone: at the first unread message (not the
top of 60), following new messages while the member reads the end, a "new messages" button
when they have scrolled up, and earlier messages loaded in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, screenshot

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

SLUG = "scroll-room"

SETUP = f"""
import uuid
from accounts.models import User
from chat import services
from groups.models import Group, Membership
if not Group.objects.filter(slug="{SLUG}").exists():
    group = Group.objects.create(name="Scroll room", slug="{SLUG}")
    room = services.room_for_group(group.pk)
    sam = User.objects.get(email="parent@example.com")
    priya = User.objects.get(email="parent2@example.com")
    for u in (sam, priya):
        Membership.objects.create(user=u, group=group, role="member", status="active")
    writers = []
    for i in range(7):
        w = User.objects.create_user(f"scroll{{i}}@example.invalid", "x" * 20,
                                     display_name=f"Writer {{i}}")
        Membership.objects.create(user=w, group=group, role="member", status="active")
        writers.append(w)
    for n in range(1, 71):
        services.message_send(user=writers[n % 7], room=room, body=f"Old news number {{n}}",
                              client_id=uuid.uuid4())
    services.room_mark_read(user=sam, room=room, seq=40)
"""


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
           const r = el.getBoundingClientRect();
           return r.bottom > 0 && r.top < window.innerHeight; }""",
        selector,
    )


def test_the_room_opens_at_the_first_unread_and_follows_new_messages(demo_data, phone):
    server = demo_data
    server.shell(SETUP)
    sam, priya = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(priya, server, "parent2@example.com")
    sam.goto(f"{server.url}/groups/{SLUG}/chat/")
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    # Opened at "New messages", not at the pinned box and the oldest message.
    assert _in_view(sam, "[data-chat-divider]")
    assert sam.evaluate("window.scrollY") > 1000
    screenshot(sam, "chat-opens-at-unread", full_page=False, for_docs=False)

    # Sending: your own message is in view.
    sam.fill("[data-composer-input]", "Morning all, just catching up")
    sam.click(".composer__send")
    expect(sam.locator(".msg__body", has_text="Morning all, just catching up")).to_be_visible()
    assert _in_view(sam, "#composer")

    # At the end, a new message from someone else is followed.
    priya.goto(f"{server.url}/groups/{SLUG}/chat/")
    expect(priya.locator("[data-chat-status]")).to_have_text("Connected")
    priya.fill("[data-composer-input]", "Hi Sam!")
    priya.click(".composer__send")
    expect(sam.locator(".msg__body", has_text="Hi Sam!")).to_be_visible()
    expect(sam.locator(".msg__body", has_text="Hi Sam!")).to_be_in_viewport()

    # Scrolled up to read: new messages don't pull the page away; a button says so.
    sam.evaluate("window.scrollTo(0, 200)")
    priya.fill("[data-composer-input]", "Are you coming on Tuesday?")
    priya.click(".composer__send")
    jump = sam.locator("[data-chat-jump]")
    expect(jump).to_have_text("1 new message ↓")
    assert sam.evaluate("window.scrollY") < 600
    screenshot(sam, "chat-new-messages-button", full_page=False, for_docs=False)
    jump.click()
    expect(sam.locator(".msg__body", has_text="Are you coming on Tuesday?")).to_be_in_viewport()
    expect(jump).to_be_hidden()

    # Earlier messages load in place: same page, more messages above, the view kept.
    url = sam.url
    before = sam.locator("[data-chat-messages] li[data-message-id]").count()
    sam.evaluate("window.scrollTo(0, 0)")
    sam.click("[data-chat-earlier]")
    expect(sam.get_by_text("Old news number 1", exact=True)).to_be_attached()
    assert sam.locator("[data-chat-messages] li[data-message-id]").count() > before
    assert sam.url == url
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")


def test_the_typing_line_goes_when_their_message_arrives(demo_data, phone):
    server = demo_data
    server.shell(SETUP)
    sam, priya = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(priya, server, "parent2@example.com")
    for p in (sam, priya):
        p.goto(f"{server.url}/groups/{SLUG}/chat/")
        expect(p.locator("[data-chat-status]")).to_have_text("Connected")
    priya.type("[data-composer-input]", "On my way")
    typing = sam.locator("[data-chat-typing]")
    expect(typing).to_contain_text("is typing")
    priya.click(".composer__send")
    expect(sam.locator(".msg__body", has_text="On my way")).to_be_visible()
    expect(typing).to_have_text("", timeout=2_000)  # at once, not after the 6 s timeout


REMOVAL = """
from accounts.models import User
from chat import services
from groups.models import Group, Membership
group, _ = Group.objects.get_or_create(name="Removal room", slug="removal-room")
services.room_for_group(group.pk)
sam = User.objects.get(email="parent@example.com")
Membership.objects.update_or_create(
    user=sam, group=group, defaults={"role": "member", "status": "active"}
)
Membership.objects.update_or_create(
    user=User.objects.get(email="facilitator@example.com"), group=group,
    defaults={"role": "facilitator", "status": "active"},
)
print(Membership.objects.get(user=sam, group=group).pk)
"""


def test_a_removed_member_keeps_their_words_but_not_a_live_composer(demo_data, phone):
    """Defect 5: the box and Send stayed, and what they typed sat in "Sending…" forever."""
    server = demo_data
    membership_id = server.shell(REMOVAL).strip().splitlines()[-1]
    sam, jo = phone(), phone()
    log_in(jo, server, "facilitator@example.com")
    log_in(sam, server, "parent@example.com")
    sam.goto(f"{server.url}/groups/removal-room/chat/")
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    sam.fill("[data-composer-input]", "half-written thought")
    # Jo removes Sam from the group, on her own phone.
    jo.goto(f"{server.url}/groups/removal-room/members/{membership_id}/remove/")
    jo.get_by_role("button", name="Remove from the group").click()
    jo.wait_for_load_state()
    expect(sam.locator("[data-composer-input]")).to_be_disabled()
    expect(sam.locator(".composer__send")).to_be_disabled()
    expect(sam.locator(".composer__closed")).to_contain_text("You're not in this group any more")
    expect(sam.locator("[data-composer-input]")).to_have_value("half-written thought")
    screenshot(sam, "chat-removed-composer", full_page=False, for_docs=False)


SLOW_ROOM = """
from accounts.models import User
from chat import services
from groups.models import Group, Membership
group, _ = Group.objects.get_or_create(name="Slow room", slug="slow-room")
room = services.room_for_group(group.pk)
room.slow_mode_seconds = 0
room.save(update_fields=["slow_mode_seconds"])
for email, role in (("facilitator@example.com", "facilitator"), ("parent@example.com", "member")):
    Membership.objects.update_or_create(
        user=User.objects.get(email=email), group=group,
        defaults={"role": role, "status": "active"},
    )
"""


def test_a_facilitator_turns_on_slow_mode_and_members_see_it_live(demo_data, phone):
    """Defect 8: slow mode had no control (only a raw websocket frame turned it on)."""
    server = demo_data
    server.shell(SLOW_ROOM)
    jo, sam = phone(), phone()
    log_in(jo, server, "facilitator@example.com")
    log_in(sam, server, "parent@example.com")
    for p in (jo, sam):
        p.goto(f"{server.url}/groups/slow-room/chat/")
        expect(p.locator("[data-chat-status]")).to_have_text("Connected")
    expect(sam.locator("#tools")).to_have_count(0)  # members have no such tools
    jo.locator("#tools summary").click()
    jo.select_option("#slow-seconds", "30")  # "Every 30 seconds"
    jo.get_by_role("button", name="Set slow mode").click()
    hint = "Slow mode is on: one message every 30 seconds."
    expect(sam.locator("[data-chat-hint]")).to_have_text(hint)
    expect(jo.locator("[data-chat-hint]")).to_have_text(hint)
    assert jo.url.endswith("/groups/slow-room/chat/")  # done over the socket, no page load
    screenshot(jo, "chat-slow-mode-tools", full_page=False, for_docs=False)

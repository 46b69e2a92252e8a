"""Two parents on phones chat in real time; one drops offline and catches up exactly once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot
from tests.e2e.htmlcheck import record_html
from tests.htmlrefs import VALID_DATETIME

pytestmark = pytest.mark.e2e

# Realtime assertions wait for frames, never sleep; give a loaded CI machine some slack.
expect.set_options(timeout=20_000)

SLUG = "brierley-hill-parents-circle"


def _room(page, server):
    page.goto(f"{server.url}/groups/{SLUG}/chat/")
    expect(page.locator("[data-chat-status]")).to_have_text("Connected")


def _send(page, text):
    page.fill("[data-composer-input]", text)
    page.click(".composer__send")


def _bodies(page) -> list[str]:
    return page.locator("[data-chat-messages] .msg__body").all_text_contents()


def test_two_parents_chat_in_real_time(demo_data, phone):
    server = demo_data
    sam, priya = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(priya, server, "parent2@example.com")
    _room(sam, server)
    _room(priya, server)
    assert_accessible(sam, "chat room")

    # live both ways
    _send(sam, "Is anyone around this afternoon?")
    expect(priya.locator(".msg__body", has_text="Is anyone around this afternoon?")).to_be_visible()
    _send(priya, "I am! Park at 3? https://example.org/park <script>alert(1)</script>")
    msg = priya.locator(".msg", has_text="Park at 3?").last
    expect(sam.locator(".msg__body", has_text="Park at 3?")).to_be_visible()
    link = sam.locator(".msg__body a", has_text="https://example.org/park")
    expect(link).to_have_attribute("rel", "noopener nofollow ugc")
    assert sam.locator(".msg__body script").count() == 0
    expect(sam.locator(".msg__body", has_text="<script>alert(1)</script>")).to_be_visible()
    expect(msg.locator(".msg__head")).to_be_visible()

    # reply
    target = sam.locator(".msg", has_text="Park at 3?").last
    target.locator("summary").click()
    target.locator("[data-chat-reply]").click()
    expect(sam.locator("[data-chat-replying]")).to_be_visible()
    _send(sam, "Perfect, see you there")
    reply = priya.locator(".msg", has_text="Perfect, see you there").last
    expect(reply.locator(".msg__reply")).to_contain_text("Park at 3?")

    # react
    target = priya.locator(".msg", has_text="Perfect, see you there").last
    target.locator("summary").click()
    target.locator(".msg__emoji button[value=heart]").click()
    expect(
        sam.locator(".msg", has_text="Perfect, see you there").last.locator(".reaction")
    ).to_contain_text("1")
    # what chat.js builds is valid HTML too: times to the millisecond, no empty form actions
    live = priya.locator("[data-chat-messages] time[datetime]").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )
    assert live and all(VALID_DATETIME.fullmatch(d) for d in live), live
    assert priya.locator("form[action='']").count() == 0

    # edit
    mine = sam.locator(".msg", has_text="Perfect, see you there").last
    mine.locator("summary").click()
    mine.locator("[data-chat-edit]").click()
    sam.locator(".msg__edit textarea").fill("Perfect, see you at the gate")
    sam.locator(".msg__edit button[type=submit]").click()
    edited = priya.locator(".msg", has_text="Perfect, see you at the gate").last
    expect(edited.locator(".msg__edited")).to_be_visible()
    screenshot(priya, "chat-room")

    # delete
    sam.on("dialog", lambda d: d.accept())
    first = sam.locator(".msg", has_text="Is anyone around this afternoon?").last
    first.locator("summary").click()
    first.locator("[data-chat-form=delete] button").click()
    expect(priya.locator(".msg__body", has_text="Is anyone around this afternoon?")).to_have_count(
        0
    )
    expect(priya.locator(".msg__body--deleted").first).to_be_visible()

    # hostile text arrives through the JS client as inert text
    _send(sam, '<img src=x onerror="window.pwned=1"> [x](javascript:alert(1)) \u202eevil')
    hostile = priya.locator(".msg__body", has_text="onerror").last
    expect(hostile).to_be_visible()
    assert hostile.locator("img, script, a[href^=javascript]").count() == 0
    assert priya.evaluate("window.pwned === undefined")
    assert hostile.get_attribute("dir") == "auto"

    # Priya drops offline; Sam keeps talking; Priya catches up without duplicates
    priya.context.set_offline(True)
    expect(priya.locator("[data-chat-status]")).to_have_text(re.compile("offline|Reconnecting"))
    for i in range(3):
        _send(sam, f"While you were away {i}")
    expect(sam.locator(".msg__body", has_text="While you were away 2")).to_be_visible()
    # Priya writes while offline: it waits in her outbox
    _send(priya, "Sorry, lost signal")
    expect(priya.locator("[data-chat-outbox] .outbox__item")).to_have_count(1)
    priya.context.set_offline(False)
    expect(priya.locator(".msg__body", has_text="While you were away 2")).to_be_visible()
    expect(sam.locator(".msg__body", has_text="Sorry, lost signal")).to_have_count(1)
    expect(priya.locator("[data-chat-outbox] .outbox__item")).to_have_count(0)
    bodies = _bodies(priya)
    for i in range(3):
        assert bodies.count(f"While you were away {i}") == 1
    assert bodies.count("Sorry, lost signal") == 1
    ids = priya.locator("[data-chat-messages] li.msg").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))
    screenshot(sam, "chat-room-sam")


def test_room_without_javascript(demo_data, browser):
    server = demo_data
    context = browser.new_context(
        viewport={"width": 320, "height": 700}, java_script_enabled=False, is_mobile=True
    )
    record_html(context)
    page = context.new_page()
    try:
        log_in(page, server, "parent@example.com")
        page.goto(f"{server.url}/groups/{SLUG}/chat/")
        page.fill("[data-composer-input]", "Posting without JavaScript")
        page.click(".composer__send")
        expect(page.locator(".msg__body", has_text="Posting without JavaScript")).to_be_visible()
        expect(page.locator("[data-chat-pinned]")).to_be_visible()
        screenshot(page, "chat-room-nojs-320")
    finally:
        context.close()


HOSTILE_NAME = '<img src=x onerror="window.pwned=1">\u202eMo'

CREATE_HOSTILE_MEMBER = f"""
from allauth.account.models import EmailAddress
from accounts.models import User
from groups.models import Group, Membership
u = User.objects.create_user("hostile@example.com", "village-demo", display_name={HOSTILE_NAME!r})
EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)
Membership.objects.create(group=Group.objects.get(slug={SLUG!r}), user=u)
"""

DELETE_HOSTILE_MEMBER = """
from accounts.models import User
User.objects.filter(email="hostile@example.com").delete()  # the post stays, as a former member's
"""


def test_a_hostile_display_name_arrives_inert_through_the_js_client(demo_data, phone):
    """The name travels in live frames (message, typing, presence) and is set as text, never
    as HTML, by chat.js."""
    server = demo_data
    server.manage("shell", "-c", CREATE_HOSTILE_MEMBER)
    try:
        _hostile_name_checks(server, phone)
    finally:  # the demo data is shared with later browser tests: leave it as it was
        server.manage("shell", "-c", DELETE_HOSTILE_MEMBER)


def _hostile_name_checks(server, phone):
    sam, mo = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(mo, server, "hostile@example.com")
    _room(sam, server)
    _room(mo, server)
    presence = sam.locator("[data-chat-presence]")
    expect(presence).to_contain_text("onerror")  # the name is shown, as text
    mo.fill("[data-composer-input]", "hello from")
    expect(sam.locator("[data-chat-typing]")).to_contain_text("onerror")
    mo.click(".composer__send")
    live = sam.locator(".msg", has_text="hello from").last
    expect(live.locator(".msg__head")).to_contain_text("onerror")
    for where in (live, presence, sam.locator("[data-chat-typing]")):
        assert where.locator("img, script").count() == 0
    assert sam.evaluate("window.pwned === undefined")
    assert sam.locator("img[src=x]").count() == 0


def test_role_badges_come_from_the_server_in_the_live_client(demo_data, phone):
    """A facilitator's live message carries the server's badge; a member's has none, whatever
    their name says."""
    server = demo_data
    sam, jo = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(jo, server, "facilitator@example.com")
    _room(sam, server)
    _room(jo, server)
    _send(jo, "Welcome, everyone: the kettle is on")
    live = sam.locator(".msg", has_text="the kettle is on").last
    expect(live.locator(".msg__role--facilitator")).to_have_text("Facilitator")
    _send(sam, "Thanks, see you soon")
    theirs = jo.locator(".msg", has_text="Thanks, see you soon").last
    expect(theirs.locator(".msg__head")).to_be_visible()
    assert theirs.locator(".msg__role").count() == 0
    # The server-rendered page shows the same badge.
    sam.reload()
    expect(
        sam.locator(".msg", has_text="the kettle is on").last.locator(".msg__role--facilitator")
    ).to_have_text("Facilitator")

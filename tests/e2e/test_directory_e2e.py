"""The directory and a referral end to end at a phone viewport: Jo offers, Priya agrees to
exactly what is shared, the service answers through the emailed link without an account,
Priya sees the outcome; withdrawing ends the link."""

from __future__ import annotations

import quopri
import re

import pytest

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

FOOD_BANK_EMAIL = "service2@example.org"  # directory/demo.py: the second demo service
FOLLOW_UP_IN_TEN_DAYS = """
import datetime
from django.utils import timezone
from directory.services import referrals_follow_up
assert referrals_follow_up(now=timezone.now() + datetime.timedelta(days=10)) >= 1
"""


def _answer_link(server) -> str:
    mails = server.emails_to(FOOD_BANK_EMAIL)
    assert mails, "the service got no referral email"
    raw = mails[-1].get_payload(decode=True) or b""
    body = raw.decode() if raw else quopri.decodestring(mails[-1].get_payload()).decode()
    return re.search(r"(http://\S+/help/answer/\S+/)", body).group(1)


def test_find_help_and_a_referral_with_consent(demo_data, phone):
    server = demo_data
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{server.url}/help/")
    assert jo.get_by_role("heading", name="Find local help").is_visible()
    jo.fill("input[name=age]", "3")
    jo.get_by_role("button", name="Show help").click()
    assert jo.get_by_text("Stay and Play at Netherton").is_visible()
    assert jo.get_by_text("Young Carers Club").count() == 0  # 8 to 17: not for a 3-year-old
    screenshot(jo, "directory-search")
    assert_accessible(jo, "directory search")

    jo.goto(f"{server.url}/help/")
    jo.get_by_role("link", name="Stourbridge Food Bank").click()
    assert jo.get_by_role("link", name=re.compile("Call 01384 000102")).get_attribute(
        "href") == "tel:01384000102"
    priya_option = jo.locator("#offer-to option", has_text="Priya").first.get_attribute("value")
    jo.select_option("#offer-to", value=priya_option)
    jo.get_by_role("button", name="Offer the referral").click()
    assert jo.get_by_text("Waiting for Priya to agree").is_visible()
    assert jo.get_by_text("Nothing has been sent").is_visible()
    screenshot(jo, "directory-service-offered")

    priya = phone()
    log_in(priya, server, "parent2@example.com")
    priya.goto(f"{server.url}/help/referrals/")
    priya.get_by_role("link", name="Stourbridge Food Bank").click()
    priya.fill("input[name=shared_contact]", "07700 900456")
    priya.fill("textarea[name=note]", "We're struggling this month, two little ones")
    priya.get_by_role("button", name="Check what will be sent").click()
    shared = priya.locator("[data-consent-text]")
    assert "07700 900456" in shared.inner_text()
    assert "struggling this month" in shared.inner_text()
    screenshot(priya, "directory-consent")
    assert_accessible(priya, "referral consent")
    priya.get_by_role("button", name="Yes, send this").click()
    assert "Sent to Stourbridge Food Bank" in priya.locator("[data-referral-status]").inner_text()

    # No answer after the follow-up deadline: the nightly job (run as if ten days had passed,
    # the server's own clock can't be moved from here) suggests Jo checks in.
    server.manage("shell", "-c", FOLLOW_UP_IN_TEN_DAYS)
    jo.goto(f"{server.url}/notifications/")
    suggestion = jo.get_by_role("link", name=re.compile("Check in with Priya about their referral"))
    suggestion.click()
    assert "Stourbridge Food Bank" in jo.content()
    screenshot(jo, "directory-follow-up-suggestion")

    link = _answer_link(server)
    service = phone()  # no account
    service.goto(link)
    assert "07700 900456" in service.content()
    screenshot(service, "directory-service-answer")
    assert_accessible(service, "service answer page")
    service.get_by_role("button", name="We've been in touch").click()
    assert service.get_by_text("We've let Priya know").is_visible()

    priya.reload()
    assert "They said they've been in touch." in priya.locator(
        "[data-referral-status]").inner_text()
    screenshot(priya, "directory-referral-outcome")

    priya.get_by_role("button", name="Withdraw my referral").click()
    assert "Withdrawn" in priya.locator("[data-referral-status]").inner_text()
    service.goto(link)
    assert service.get_by_role("heading", name="This link no longer works").is_visible()
    assert_accessible(service, "stale link page")


def test_a_facilitator_adds_a_useful_contact(demo_data, phone):
    server = demo_data
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{server.url}/groups/brierley-hill-parents-circle/")
    jo.get_by_role("link", name="Add a useful contact").click()
    assert_accessible(jo, "add a useful contact")
    jo.fill("input[name=name]", "Saturday dads' walk")
    jo.fill("input[name=opens_at]", "11:00")
    jo.fill("input[name=closes_at]", "10:00")
    jo.get_by_role("button", name="Save").click()
    assert jo.get_by_text("It should close after it opens.").is_visible()
    assert jo.input_value("input[name=name]") == "Saturday dads' walk"  # nothing lost
    jo.fill("input[name=closes_at]", "12:30")
    jo.get_by_label("Saturday").check()
    jo.get_by_role("button", name="Save").click()
    assert jo.get_by_role("heading", name="Saturday dads' walk").is_visible()
    assert jo.get_by_text("Sat 11:00–12:30").is_visible()
    screenshot(jo, "directory-local-entry")


def test_moderator_pages(demo_data, phone):
    server = demo_data
    alex = phone()
    log_in(alex, server, "moderator@example.com")
    alex.goto(f"{server.url}/help/approvals/")
    assert alex.get_by_role("heading", name="Local entries to share").is_visible()
    assert_accessible(alex, "approvals")
    alex.goto(f"{server.url}/help/")
    alex.get_by_role("link", name="Money Matters advice line").click()
    alex.get_by_text("For moderators: where referrals go").click()
    alex.fill("#referral-email", "referrals@example.org")
    alex.get_by_role("button", name="Save", exact=True).click()
    assert alex.get_by_text("Referrals to this service now go to that address.").is_visible()
    assert_accessible(alex, "service page, moderator")
    screenshot(alex, "directory-service-moderator", for_docs=False)


def test_a_service_shared_into_the_chat_is_a_card_to_tap(demo_data, phone):
    server = demo_data
    sam = phone()
    log_in(sam, server, "parent@example.com")
    sam.goto(f"{server.url}/help/")
    sam.get_by_role("link", name="Stourbridge Food Bank").click()
    sam.get_by_text("Share this in a group chat").click()
    slug = sam.locator("#share-group").input_value()

    # Priya has the group's chat open: the card arrives live and chat.js draws it.
    priya = phone()
    log_in(priya, server, "parent2@example.com")
    priya.goto(f"{server.url}/groups/{slug}/chat/")
    priya.wait_for_function(
        "() => document.querySelector('[data-chat-status]').textContent.includes('Connected')"
    )
    assert priya.locator(".msg .service-card").count() == 0
    sam.get_by_role("button", name="Share in the chat").click()
    sam.wait_for_url(re.compile(r"/chat/"))
    card = priya.locator(".msg .service-card").last
    card.wait_for()
    assert card.get_by_role("link", name="Stourbridge Food Bank").get_attribute(
        "href").startswith("/help/services/")
    assert card.get_by_role("link", name=re.compile("Call 01384 000102")).get_attribute(
        "href") == "tel:01384000102"
    card.scroll_into_view_if_needed()
    screenshot(priya, "chat-service-card")
    assert_accessible(priya, "chat with a service card")
    # Sam's own page (server-rendered, then live) shows the same card.
    assert sam.locator(".msg .service-card").last.get_by_role(
        "link", name="Stourbridge Food Bank").is_visible()

"""On a phone: a parent is asked once before sharing a phone number and sends anyway; the
new Online Safety Act pages (terms, reporting, complaints, transparency, risk assessment)
pass axe, and the HTML check (test_zz_html_valid.py) sees them."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)

SLUG = "brierley-hill-parents-circle"


def test_a_parent_is_asked_before_sharing_a_phone_number_and_sends_anyway(demo_data, phone):
    server = demo_data
    sam, priya = phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(priya, server, "parent2@example.com")
    for page in (sam, priya):
        page.goto(f"{server.url}/groups/{SLUG}/chat/")
        expect(page.locator("[data-chat-status]")).to_have_text("Connected")

    text = f"Ring me on 07911 123456 if you want to talk ({uuid.uuid4().hex[:6]})"
    sam.fill("[data-composer-input]", text)
    sam.click(".composer__send")
    question = sam.locator("[data-chat-private]")
    expect(question).to_be_visible()
    expect(question).to_contain_text(
        "This message includes a phone number. Everyone in the group will see it. Send anyway?"
    )
    expect(sam.locator("[data-chat-outbox]")).to_contain_text("waiting for your answer")
    assert_accessible(sam, "chat: personal-details question")
    screenshot(sam, "chat-private-details-question")
    # Nobody else sees anything yet.
    expect(priya.locator(".msg__body", has_text=text)).to_have_count(0)

    sam.get_by_role("button", name="Send anyway").click()
    expect(question).to_be_hidden()
    expect(sam.locator("[data-chat-messages] .msg__body", has_text=text)).to_be_visible()
    expect(priya.locator("[data-chat-messages] .msg__body", has_text=text)).to_be_visible()
    expect(sam.locator("[data-chat-outbox] li")).to_have_count(0)

    # "Edit" puts the text back in the box instead, and sends nothing.
    other = f"Email me at sam@example.com ({uuid.uuid4().hex[:6]})"
    sam.fill("[data-composer-input]", other)
    sam.click(".composer__send")
    expect(question).to_be_visible()
    sam.get_by_role("button", name="Edit").click()
    expect(sam.locator("[data-composer-input]")).to_have_value(other)
    expect(priya.locator(".msg__body", has_text=other)).to_have_count(0)


def test_without_javascript_the_question_is_its_own_page(demo_data, browser):
    """The no-JS room asks on a page of its own (templates/chat/private_confirm.html): axe
    here, and the HTML check sees it (record_html)."""
    from tests.e2e.conftest import PHONE
    from tests.e2e.htmlcheck import record_html

    server = demo_data
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, is_mobile=True, locale="en-GB"
    )
    record_html(context)
    page = context.new_page()
    try:
        log_in(page, server, "parent@example.com")
        page.goto(f"{server.url}/groups/{SLUG}/chat/")
        text = f"Text me on 07911 654321 after school ({uuid.uuid4().hex[:6]})"
        page.fill("[data-composer-input]", text)
        page.click(".composer__send")
        expect(page.get_by_role("heading", name="Before you send this")).to_be_visible()
        screenshot(page, "chat-private-details-nojs")
        # axe needs JavaScript: check the same page's HTML (its scripts taken out) in a page
        # that has it, on the same site so the styles load.
        html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S)
        checker = browser.new_page(viewport=PHONE)
        try:
            checker.goto(f"{server.url}/healthz")
            checker.set_content(html)
            expect(checker.get_by_role("heading", name="Before you send this")).to_be_visible()
            assert_accessible(checker, "chat without JavaScript: personal-details question")
        finally:
            checker.close()
        page.get_by_role("button", name="Edit").click()
        expect(page.locator("[data-composer-input]")).to_have_value(text)
        expect(page.locator(".msg__body", has_text=text)).to_have_count(0)
        page.click(".composer__send")
        page.get_by_role("button", name="Send anyway").click()
        expect(page.locator(".msg__body", has_text=text)).to_be_visible()
    finally:
        context.close()


PUBLISH = """
from accounts.services import terms_publish
terms_publish(text="1. Be kind.\\n2. Keep it in the group.", house_rules="Be kind.",
              summary="Clearer words about privacy.")
"""
UNPUBLISH = """
from accounts.models import TermsAcceptance, TermsVersion, User
TermsAcceptance.objects.all().delete(); TermsVersion.objects.all().delete()
User.objects.update(terms_version=0)
"""
STAFF = """
from allauth.account.models import EmailAddress
from accounts.models import User
u, made = User.objects.get_or_create(email="osa-staff@example.com",
    defaults={"display_name": "Chris", "is_staff": True})
u.set_password("village-demo"); u.save()
EmailAddress.objects.get_or_create(user=u, email=u.email,
    defaults={"verified": True, "primary": True})
"""
FIGURES = """
from moderation.transparency import transparency_refresh
print(transparency_refresh())
"""


def test_the_safety_pages_on_a_phone(demo_data, phone):
    server = demo_data
    page = phone()
    # Reachable from every page in one tap: the footer.
    page.goto(f"{server.url}/")
    page.locator("[data-footer-illegal]").click()
    heading = page.get_by_role("heading", name="Report something illegal", exact=True)
    expect(heading).to_be_visible()
    assert_accessible(page, "report something illegal")
    screenshot(page, "report-illegal")
    page.goto(f"{server.url}/terms/")
    assert_accessible(page, "terms")

    server.shell(FIGURES)
    page.goto(f"{server.url}/moderation/transparency/")
    title = "How we keep Village safe: the figures"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible(page, "transparency")
    screenshot(page, "transparency")

    server.shell(STAFF)
    log_in(page, server, "osa-staff@example.com")
    page.goto(f"{server.url}/moderation/risks/new/")
    page.get_by_label("The risk, in a few words").fill("Grooming through private contact")
    page.get_by_label("What we do about it").fill("No private messages between members.")
    page.get_by_label("Review by").fill("2030-01-31")
    page.get_by_role("button", name="Add the risk").click()
    expect(page.get_by_text("Grooming through private contact")).to_be_visible()
    assert_accessible(page, "risk assessment")
    page.get_by_text("Grooming through private contact").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    assert_accessible(page, "risk")
    screenshot(page, "risk")

    # Terms that change: the member is asked plainly, then carries on.
    server.shell(PUBLISH)
    try:
        sam = phone()
        log_in(sam, server, "parent@example.com")
        sam.goto(f"{server.url}/me/")
        heading = "Before you carry on: our terms and house rules"
        expect(sam.get_by_role("heading", name=heading)).to_be_visible()
        assert_accessible(sam, "terms accept")
        screenshot(sam, "terms-accept")
        sam.get_by_label("I've read them and I agree").check()
        sam.get_by_role("button", name="Agree and carry on").click()
        expect(sam.get_by_role("heading", name="Hello, Sam")).to_be_visible()
        newcomer = phone()
        newcomer.goto(f"{server.url}/accounts/signup/")
        agree = newcomer.get_by_label("I agree to Village's terms of service and house rules")
        expect(agree).to_be_visible()
        assert_accessible(newcomer, "sign-up with terms")
    finally:  # the demo data is shared with later browser tests: leave it as it was
        server.shell(UNPUBLISH)


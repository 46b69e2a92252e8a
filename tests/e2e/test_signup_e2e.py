"""A newcomer on a phone: signs up with a display name, confirms their email from the real
email the server wrote, logs in, finds a group in the directory, joins it and sees it."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.helpers import assert_accessible, screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "tea-and-biscuits-2026"
GROUP = "Brierley Hill Parents' Circle"


def confirm_link(server, address: str) -> str:
    messages = server.emails_to(address)
    assert messages, f"no email reached {address}"
    text = messages[-1].as_string().replace("=\n", "")
    match = re.search(r"https?://[^\s\"<>]+/accounts/confirm-email/[^\s\"<>]+", text)
    assert match, text
    return match.group(0)


def test_sign_up_confirm_log_in_find_and_join_a_group(demo_data, phone):
    server = demo_data
    address = f"rosie-{uuid.uuid4().hex[:8]}@example.com"
    page = phone()
    # Password hashing at full strength is slow on a busy 2-core CI machine: be patient.
    page.set_default_timeout(30_000)

    # Sign up, at phone size.
    page.goto(f"{server.url}/accounts/signup/")
    assert page.get_by_role("heading", name="Create your account").is_visible()
    assert_accessible(page, "sign-up")
    screenshot(page, "signup")
    page.get_by_label("Your name in Village").fill("Rosie")
    page.get_by_label("Your email address").fill(address)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    assert page.get_by_role("heading", name="Nearly there: check your email").is_visible()

    # The email the server really sent; other members' addresses never appear in it.
    link = confirm_link(server, address)
    page.goto(link)
    page.get_by_role("button", name="Yes, that's me").click()
    page.wait_for_load_state()

    # Log out and back in, by email.
    page.goto(f"{server.url}/me/")
    # The page first forgets what this phone kept (static/js/pwa.js), then logs out: wait for
    # the log-out's own answer, not just the click.
    with page.expect_response(lambda r: r.url.endswith("/accounts/logout/")):
        page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.goto(f"{server.url}/accounts/login/")
    assert page.get_by_role("heading", name="Welcome back").is_visible()
    assert_accessible(page, "log-in")
    screenshot(page, "login")
    # A wrong password keeps the email typed and says so beside the form.
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    assert page.locator(".errorlist").first.is_visible()
    assert page.get_by_label("Email").input_value() == address
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Me").is_visible()

    # Find the group in the directory and join it.
    page.goto(f"{server.url}/groups/")
    page.locator("input[name=q]").fill("Brierley")
    page.locator("form[role=search] button[type=submit]").click()
    page.get_by_role("link", name=GROUP).click()
    assert page.get_by_role("heading", name=GROUP, level=1).is_visible()
    page.get_by_role("link", name="Join this group").click()
    page.get_by_role("button", name=re.compile("join this group", re.I)).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=GROUP, level=1).is_visible()
    assert page.get_by_role("link", name=re.compile("Open the group chat")).is_visible()

    # Her profile: the name she chose, her time zone, and her email choices.
    page.goto(f"{server.url}/me/")
    assert page.get_by_role("heading", name="Hello, Rosie").is_visible()
    assert page.get_by_label("Your time zone").input_value() == "Europe/London"
    assert_accessible(page, "profile")
    screenshot(page, "profile")

    # Two-step log-in (required for moderators and staff): allauth asks for the password
    # again, then shows our set-up page with the QR code.
    page.get_by_role("link", name="Two-step log-in (extra security)").click()
    page.get_by_role("link", name="Set up two-step log-in").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    assert page.get_by_role("heading", name="Set up two-step log-in").is_visible()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert_accessible(page, "two-step set-up")
    screenshot(page, "two-step-setup")


def test_the_bell_updates_live_without_reloading(demo_data, phone):
    """One page shows the bell; reading the notifications in another tab clears it there,
    pushed over /ws/notifications/ by the server (bell.js, no reload)."""
    from playwright.sync_api import expect

    from tests.e2e.helpers import log_in

    server = demo_data
    server.shell(
        "from accounts.models import User; from notifications.services import notify; "
        "u = User.objects.get(email='parent2@example.com'); "
        "notify(user_ids=[u.pk], kind='mention', title='Priya, someone said hello', "
        "url='/notifications/', email=False)"
    )
    page = phone()
    page.set_default_timeout(30_000)
    log_in(page, server, "parent2@example.com")
    page.goto(f"{server.url}/groups/")
    expect(page.locator("[data-bell][data-bell-live]")).to_have_count(1)  # socket is open
    bell = page.locator("[data-bell-count]")
    expect(bell).not_to_have_class(re.compile("is-empty"))

    other_tab = page.context.new_page()
    other_tab.goto(f"{server.url}/notifications/")
    assert other_tab.get_by_text("Priya, someone said hello").is_visible()
    screenshot(other_tab, "notifications")
    other_tab.get_by_role("button", name="Mark all as read").click()

    expect(bell).to_have_class(re.compile("is-empty"))

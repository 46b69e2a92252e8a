"""Chat times on a phone: the server-rendered messages and the live ones read the same, in
the member's profile time zone, whatever the phone's own locale and clock say."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import log_in, screenshot
from tests.e2e.htmlcheck import record_html

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

SLUG = "brierley-hill-parents-circle"
FORMAT = re.compile(r"^\d{1,2} [A-Z][a-z]{2}, \d{2}:\d{2}$")  # 2 Dec, 16:39


def _set_zone(server, email: str, zone: str) -> None:
    server.shell(
        "from accounts.models import User\n"
        "from accounts.services import profile_update\n"
        f"u = User.objects.get(email={email!r})\n"
        f"profile_update(user=u, display_name=u.display_name, about=u.about, time_zone={zone!r})\n"
    )


def _expected(iso: str, zone: str) -> str:
    when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zoneinfo.ZoneInfo(zone))
    return f"{when.day} {when:%b}, {when:%H:%M}"


def test_live_and_page_message_times_match_in_the_members_zone(demo_data, browser, phone):
    server = demo_data
    _set_zone(server, "parent@example.com", "Europe/Paris")
    # Sam's phone is set to American English in New York: the page must not follow it.
    us_phone = browser.new_context(
        viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
        locale="en-US", timezone_id="America/New_York",
    )  # fmt: skip
    us_phone.set_default_timeout(10_000)
    record_html(us_phone)
    try:
        sam = us_phone.new_page()
        priya = phone()
        log_in(sam, server, "parent@example.com")
        log_in(priya, server, "parent2@example.com")
        for page in (sam, priya):
            page.goto(f"{server.url}/groups/{SLUG}/chat/")
            expect(page.locator("[data-chat-status]")).to_have_text("Connected")

        priya.fill("[data-composer-input]", "What time is it where you are?")
        priya.click(".composer__send")
        live = sam.locator(".msg", has_text="What time is it where you are?").last
        expect(live).to_be_visible()
        live_time = live.locator(".msg__time")
        live_text = live_time.inner_text()
        iso = live_time.get_attribute("datetime")
        assert FORMAT.match(live_text), live_text
        assert live_text == _expected(iso, "Europe/Paris")

        screenshot(sam, "chat-times-live", for_docs=False)

        # The same message as the server writes it, after a reload.
        sam.reload()
        expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
        again = sam.locator(".msg", has_text="What time is it where you are?").last
        assert again.locator(".msg__time").inner_text() == live_text
        # Every time on the page, the demo's history included, is in the one format and zone.
        for t in sam.locator(".msg__time").all():
            text = t.inner_text()
            assert FORMAT.match(text), text
            assert text == _expected(t.get_attribute("datetime"), "Europe/Paris")
        screenshot(sam, "chat-times-page", for_docs=False)

        # Priya keeps the UK clock: the same message reads an hour (or so) earlier for her.
        theirs = priya.locator(".msg", has_text="What time is it where you are?").last
        assert theirs.locator(".msg__time").inner_text() == _expected(iso, "Europe/London")
    finally:
        us_phone.close()
        _set_zone(server, "parent@example.com", "Europe/London")

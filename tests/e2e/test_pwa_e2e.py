"""Village on a phone as an app (config/pwa.py, static/js/pwa.js, templates/pwa/sw.js):
Chromium finds nothing stopping an install; the worker controls the page; a room opened
before reads offline with an honest banner and its outbox sends when the signal is back; an
unknown page offline is the kind offline page; logging out leaves nothing behind; the
home-screen hint comes on the third day and goes for good when dismissed."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)

SLUG = "brierley-hill-parents-circle"
OFFLINE_TEXT = "You're offline. Your messages will be sent when you're back."
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
# True once the member's page cache holds `url` (the worker keeps it after the response).
KEPT = """async (url) => {
  for (const key of await caches.keys()) {
    if (key.startsWith("village-pages-") && await (await caches.open(key)).match(url)) return true;
  }
  return false;
}"""


def _controlled(page) -> None:
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(CONTROLLED, timeout=20_000)


@pytest.fixture
def profile_phone(browser, tmp_path):
    """A phone with a real browser profile: Chromium never offers to install from an
    incognito-like context (Playwright's ordinary ones), and says so ("in-incognito")."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=shutil.which("chromium"),
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(10_000)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


def test_chromium_finds_village_installable(demo_data, profile_phone):
    server = demo_data
    page = profile_phone
    log_in(page, server, "parent@example.com")
    page.goto(f"{server.url}/")
    _controlled(page)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    assert manifest["url"].endswith("/manifest.webmanifest")
    result = cdp.send("Page.getInstallabilityErrors")
    print("Page.getInstallabilityErrors:", result)
    assert result == {"installabilityErrors": []}
    # The favicon is a real file, and the static files are fingerprinted and compressed.
    assert page.request.get(f"{server.url}/favicon.ico").status == 200
    css = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", css), css
    served = page.request.get(f"{server.url}{css}", headers={"Accept-Encoding": "gzip"})
    assert served.headers.get("content-encoding") == "gzip"
    assert "immutable" in served.headers.get("cache-control", "")


def test_a_room_reads_offline_and_its_outbox_sends_on_reconnect(demo_data, phone):
    server = demo_data
    sam = phone()
    log_in(sam, server, "parent@example.com")
    room = f"{server.url}/groups/{SLUG}/chat/"
    sam.goto(room)
    _controlled(sam)
    sam.goto(room)  # through the worker now: it keeps a copy
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    sam.wait_for_function(KEPT, arg=room, timeout=20_000)
    title = sam.locator(".chat__title").inner_text()
    messages = sam.locator("[data-chat-messages] .msg__body").count()

    sam.context.set_offline(True)
    sam.reload()
    banner = sam.locator("[data-offline-banner]")
    expect(banner).to_contain_text(re.compile(r"Showing what you last saw at \d\d:\d\d\."))
    expect(banner).to_contain_text(OFFLINE_TEXT)
    expect(sam.locator(".chat__title")).to_have_text(title)
    assert messages > 0
    expect(sam.locator("[data-chat-messages] .msg__body")).to_have_count(messages)
    screenshot(sam, "offline-room")
    expect(sam.locator("[data-chat-status]")).to_have_text(re.compile("offline"))

    # Written offline: it waits in the outbox, and is sent once the signal is back.
    sam.fill("[data-composer-input]", "Written on the bus with no signal")
    sam.click(".composer__send")
    expect(sam.locator("[data-chat-outbox] .outbox__item")).to_have_count(1)
    sam.context.set_offline(False)
    expect(banner).to_contain_text("You're back online.")
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    expect(sam.locator("[data-chat-outbox] .outbox__item")).to_have_count(0)
    priya = phone()
    log_in(priya, server, "parent2@example.com")
    priya.goto(room)
    expect(
        priya.locator(".msg__body", has_text="Written on the bus with no signal")
    ).to_have_count(1)

    # A page this phone never saw, offline: the kind offline page, not the browser's error.
    sam.context.set_offline(True)
    sam.goto(f"{server.url}/groups/a-page-never-opened/")
    expect(sam.locator("h1")).to_have_text("You're offline")
    expect(sam.locator("main")).to_contain_text(OFFLINE_TEXT)
    assert_accessible(sam, "the offline page")
    screenshot(sam, "offline-page")
    sam.context.set_offline(False)


def test_safeguarding_pages_are_not_kept_offline(demo_data, phone):
    server = demo_data
    alex = phone()
    log_in(alex, server, "moderator@example.com")
    alex.goto(f"{server.url}/")
    _controlled(alex)
    alex.goto(f"{server.url}/moderation/")
    alex.goto(f"{server.url}/")
    alex.wait_for_function(KEPT, arg=f"{server.url}/", timeout=20_000)
    assert not alex.evaluate(KEPT, f"{server.url}/moderation/")


def test_the_offline_page_is_valid_and_accessible_online(demo_data, phone):
    page = phone()
    page.goto(f"{demo_data.url}/offline/")  # recorded for the W3C checker
    expect(page.locator("main")).to_contain_text(OFFLINE_TEXT)
    assert_accessible(page, "the offline page")


def test_logging_out_leaves_nothing_behind(demo_data, phone):
    server = demo_data
    sam = phone()
    log_in(sam, server, "parent@example.com")
    room = f"{server.url}/groups/{SLUG}/chat/"
    sam.goto(room)
    _controlled(sam)
    sam.goto(room)
    sam.wait_for_function(KEPT, arg=room, timeout=20_000)
    # An unsent message in the outbox, as chat.js keeps it.
    sam.evaluate(
        """() => localStorage.setItem("village.chat.outbox." + document.querySelector("[data-chat]")
            .dataset.slug + ".1", JSON.stringify([{cid: "x", body: "not sent"}]))"""
    )
    assert sam.evaluate("caches.keys()")
    logouts = []
    sam.on("response", lambda r: logouts.append(r) if r.url.endswith("/accounts/logout/") else None)
    sam.goto(f"{server.url}/me/")
    sam.locator('form[action="/accounts/logout/"] button').click()
    sam.wait_for_url(f"{server.url}/")
    expect(sam.get_by_role("link", name="Log in")).to_be_visible()
    assert [r.header_value("clear-site-data") for r in logouts] == ['"cache", "storage"']
    sam.wait_for_function("async () => (await caches.keys()).length === 0", timeout=20_000)
    assert sam.evaluate("caches.keys()") == []
    assert sam.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    outbox = sam.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('village.chat.outbox.'))"
    )
    assert outbox == []
    # Offline now, the room is not there for the next person to read.
    sam.context.set_offline(True)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the browser's own network error
        sam.goto(room)
    sam.context.set_offline(False)


def _day_iso(days_ago: int) -> str:
    return f"""(() => {{ const d = new Date(Date.now() - {days_ago} * 86400000);
        return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate(); }})()"""


def test_the_home_screen_hint_comes_on_the_third_day_and_goes_for_good(demo_data, phone):
    server = demo_data
    page = phone(user_agent=IPHONE_UA)
    log_in(page, server, "parent2@example.com")
    page.goto(f"{server.url}/")
    hint = page.locator("[data-install-hint]")
    expect(page.locator("h1").first).to_be_visible()
    expect(hint).to_have_count(0)  # the first day: nothing
    # Two earlier days with a visit, and today: the third day.
    page.evaluate(
        f"localStorage.setItem('village.visitDays', JSON.stringify([{_day_iso(2)}, {_day_iso(1)}]))"
    )
    page.reload()
    expect(hint).to_be_visible()
    expect(hint.locator("h2")).to_have_text("Add Village to your home screen")
    expect(hint.locator("[data-install-iphone]")).to_contain_text("Add to Home Screen")
    assert_accessible(page, "the home-screen hint")
    screenshot(page, "install-hint")
    hint.locator("[data-install-dismiss]").click()
    expect(hint).to_have_count(0)
    page.reload()
    expect(page.locator("h1").first).to_be_visible()
    expect(hint).to_have_count(0)

"""The narrowest phones we support (320 x 640), for the people with the most links: the
facilitator's and the moderator's header stays within two rows with big tap targets, and no
page they work on (group page, chat room, attendance grid, register) scrolls sideways.
And in the chat room, "Here now" never keeps showing people while the socket is away."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, screenshot

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)

NARROW = {"width": 320, "height": 640}
LONG_NAME = "Bartholomew Fotheringham-Smythe"

# Twelve weeks of registers (the grid's widest), a long name in it, and a meetup on now.
SETUP = f"""
import datetime as dt
from zoneinfo import ZoneInfo
from django.utils import timezone
from accounts.models import User
from groups.models import Group, Membership
from meetups import services
from meetups.models import Attendance, Occurrence
g = Group.objects.filter(join_policy="open").order_by("pk").first()
jo = User.objects.get(email="facilitator@example.com")
long = User.objects.filter(display_name={LONG_NAME!r}).first()
if long is None:
    long = User.objects.create_user("narrow-long@example.invalid", "x" * 20,
                                    display_name={LONG_NAME!r})
    Membership.objects.create(user=long, group=g, role="member", status="active")
    tz = ZoneInfo(g.time_zone)
    for weeks in range(1, 12):
        start = (timezone.now() - dt.timedelta(weeks=weeks, days=1)).astimezone(tz)
        occ = services.one_off_create(group=g, by=jo, title="Narrow week", on=start.date(),
            start_time=dt.time(10, 0), duration_minutes=60,
            place=services.Place(venue_name="Hall"), allow_past=True)
        Attendance.objects.get_or_create(occurrence=occ, user=long, defaults={{"marked_by": jo}})
    start = (timezone.now() - dt.timedelta(minutes=30)).astimezone(tz)
    services.one_off_create(group=g, by=jo, title="Narrow now", on=start.date(),
        start_time=start.time().replace(second=0, microsecond=0), duration_minutes=120,
        place=services.Place(venue_name="Family Hub"), allow_past=True)
now = Occurrence.objects.filter(group=g, title="Narrow now").first()
print(g.slug, now.pk)
"""

# Each page's chat socket is recorded, and new chat sockets can be sent to a path the server
# refuses: the room "goes away" for this page only, the way a lost signal looks to the client.
SOCKETS = r"""
(() => {
  const Native = window.WebSocket;
  window.__chatSockets = [];
  window.__blockChat = false;
  function Recorded(url, protocols) {
    const chat = String(url).indexOf("/chat/") !== -1;
    if (chat && window.__blockChat) url = String(url).replace(/\/ws\/.*$/, "/ws/refused/");
    const s = protocols === undefined ? new Native(url) : new Native(url, protocols);
    if (chat) window.__chatSockets.push(s);
    return s;
  }
  Recorded.prototype = Native.prototype;
  Object.assign(Recorded, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Recorded;
})();
"""


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def _fits(page, name: str) -> None:
    """Nothing spills sideways, and the header keeps to two rows of big targets at most."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{name}: the page is {width}px wide at 320px"
    header = page.evaluate(
        """() => {
          const visible = (e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
          };
          const head = document.querySelector(".site-header");
          const items = [...head.querySelectorAll(".brand, .site-nav > *")].filter(visible)
            .map((e) => e.getBoundingClientRect()).sort((a, b) => a.top - b.top);
          let rows = 0, bottom = -1;
          for (const r of items) {
            if (r.top >= bottom - 1) rows += 1;  // starts below everything so far: a new row
            bottom = Math.max(bottom, r.bottom);
          }
          const small = [...head.querySelectorAll("a, summary, button")].filter(visible)
            .map((e) => [e.textContent.trim(), e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44).map(([t]) => t);
          return { rows, height: head.getBoundingClientRect().height, small };
        }"""
    )
    assert header["rows"] <= 2, f"{name}: the header takes {header['rows']} rows"
    assert header["height"] <= 2 * 64, f"{name}: the header is {header['height']}px tall"
    assert not header["small"], f"{name}: small tap targets in the header: {header['small']}"


def _shot(page, name: str) -> None:
    screenshot(page, name, for_docs=False)


def test_facilitator_and_moderator_pages_fit_320(demo_data, phone):
    server = demo_data
    slug, occ_pk = _last_line(server.shell(SETUP)).split()
    group = f"{server.url}/groups/{slug}"

    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.set_viewport_size(NARROW)
    pages = {
        "group": f"{group}/",
        "room": f"{group}/chat/",
        "attendance": f"{group}/meetups/attendance/",
        "register": f"{group}/meetups/{occ_pk}/register/",
    }
    for name, url in pages.items():
        jo.goto(url)
        jo.wait_for_load_state()
        _fits(jo, f"facilitator {name}")
        _shot(jo, f"narrow-facilitator-{name}")

    # The grid scrolls inside its own box: it opens at the newest weeks and the totals, the
    # long name is there in full, and the names stay put while the weeks scroll.
    jo.goto(pages["attendance"])
    grid = jo.locator(".grid-scroll")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth"), "twelve weeks should scroll"
    box = grid.bounding_box()
    newest = jo.locator(".attendance thead th").last.bounding_box()
    assert newest["x"] + newest["width"] <= box["x"] + box["width"] + 1, "opens at the newest"
    name_cell = jo.locator(".attendance tbody th[scope=row]", has_text=LONG_NAME)
    assert name_cell.evaluate("e => e.scrollWidth <= e.clientWidth"), "the name is cut off"
    left = name_cell.bounding_box()["x"]
    moved = grid.evaluate(
        """e => { const before = e.scrollLeft; e.scrollLeft = before - e.scrollWidth;
                  if (e.scrollLeft === before) e.scrollLeft = before + e.scrollWidth;
                  return e.scrollLeft !== before; }"""
    )
    assert moved, "the grid should scroll"
    assert abs(name_cell.bounding_box()["x"] - left) < 1, "the name column should stay put"
    _shot(jo, "narrow-facilitator-attendance-scrolled")

    # The header's menu opens without JavaScript's help and fits too.
    jo.goto(pages["group"])
    menu = jo.locator(".site-header details")
    if menu.count():
        menu.locator("summary").click()
        expect(jo.locator(".site-header").get_by_role("link", name="Moderation")).to_be_visible()
        _fits(jo, "facilitator menu open")
        _shot(jo, "narrow-facilitator-menu")
        jo.locator(".site-header").get_by_role("link", name="Moderation").click()
        expect(jo).to_have_url(re.compile(r"/moderation/"))
    else:
        expect(jo.locator(".site-header").get_by_role("link", name="Moderation")).to_be_visible()

    alex = phone()
    log_in(alex, server, "moderator@example.com")
    alex.set_viewport_size(NARROW)
    for name, url in (("home", f"{server.url}/"), ("queue", f"{server.url}/moderation/")):
        alex.goto(url)
        alex.wait_for_load_state()
        _fits(alex, f"moderator {name}")
        _shot(alex, f"narrow-moderator-{name}")


def _presence(page):
    return page.locator("[data-chat-presence]")


def test_presence_is_stale_while_the_socket_is_away_and_refreshes_on_reconnect(demo_data, phone):
    server = demo_data
    slug = _last_line(
        server.shell(
            "from groups.models import Group\n"
            "print(Group.objects.filter(join_policy='open').order_by('pk').first().slug)"
        )
    )
    room = f"{server.url}/groups/{slug}/chat/"
    sam, priya, jo = phone(), phone(), phone()
    sam.context.add_init_script(SOCKETS)
    for page, address in ((sam, "parent@example.com"), (priya, "parent2@example.com")):
        log_in(page, server, address)
        page.goto(room)
        expect(page.locator("[data-chat-status]")).to_have_text("Connected")
    log_in(jo, server, "facilitator@example.com")
    expect(_presence(sam)).to_have_text("Here now: Priya")

    # The connection drops and can't come back yet: Priya is no longer shown as here.
    sam.evaluate("window.__blockChat = true; window.__chatSockets.at(-1).close()")
    expect(sam.locator("[data-chat-status]")).to_contain_text("Reconnecting")
    expect(_presence(sam)).to_have_text(re.compile("Who's online will update when we're"))
    expect(_presence(sam)).not_to_contain_text("Priya")
    expect(_presence(sam)).to_have_class(re.compile("is-stale"))
    _shot(sam, "presence-stale-reconnecting")

    # Meanwhile Priya leaves and Jo comes in; back online, Sam sees the server's list.
    priya.goto(f"{server.url}/groups/")
    jo.goto(room)
    expect(jo.locator("[data-chat-status]")).to_have_text("Connected")
    sam.evaluate("window.__blockChat = false")
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    expect(_presence(sam)).to_have_text("Here now: Jo")
    expect(_presence(sam)).not_to_have_class(re.compile("is-stale"))

    # Offline in the phone's own settings: the same, straight away.
    sam.context.set_offline(True)
    expect(sam.locator("[data-chat-status]")).to_contain_text("offline")
    expect(_presence(sam)).to_have_text(re.compile("when you're back online"))
    expect(_presence(sam)).not_to_contain_text("Jo")
    expect(_presence(sam)).to_have_class(re.compile("is-stale"))
    jo.goto(f"{server.url}/groups/")
    priya.goto(room)
    sam.context.set_offline(False)
    expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
    expect(_presence(sam)).to_have_text("Here now: Priya")
    expect(_presence(sam)).not_to_have_class(re.compile("is-stale"))

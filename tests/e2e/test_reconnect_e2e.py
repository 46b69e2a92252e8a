"""The live moderation queue's socket (moderation.js on static/js/reconnect.js) in a real
browser: closed with a "try again" code it comes back by itself, through to the real server;
closed with 4403 it stays closed, however long we wait and whatever the browser says.

The socket runs through Playwright's websocket route (so the test can close it with any code)
and the page's clock is Playwright's, so waiting minutes for a retry that must not come takes
no time at all."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)

# Counts the queue's sockets (the bell has its own); the real WebSocket, only counted.
COUNT_SOCKETS = """
window.__sockets = 0;
window.WebSocket = class extends window.WebSocket {
  constructor(url, ...rest) {
    super(url, ...rest);
    if (String(url).endsWith("/ws/moderation/")) window.__sockets += 1;
  }
};
"""


def test_the_queue_reconnects_after_try_again_and_stops_after_4403(demo_data, phone):
    server = demo_data
    alex = phone()
    log_in(alex, server, "moderator@example.com")
    routes = []

    def through_to_the_server(ws):
        ws.connect_to_server()
        routes.append(ws)

    alex.add_init_script(COUNT_SOCKETS)
    alex.route_web_socket("**/ws/moderation/", through_to_the_server)
    alex.clock.install()
    alex.goto(f"{server.url}/moderation/")
    live = alex.locator("[data-queue-status]")
    expect(live).to_be_visible()
    assert alex.evaluate("window.__sockets") == 1
    alex.clock.pause_at(alex.evaluate("Date.now()") + 1_000)  # from here, time moves when we say

    # The server is busy (4013, "try again later"): the note goes, then the queue is back.
    routes[0].close(code=4013, reason="try again later")
    expect(live).to_be_hidden()
    alex.clock.run_for(1_000)  # the first wait is half a second to a second
    expect(live).to_be_visible()
    assert alex.evaluate("window.__sockets") == 2

    # Rate limited (4029): the same, after a wait that has not grown (the last socket opened).
    routes[1].close(code=4029, reason="rate limited")
    expect(live).to_be_hidden()
    alex.clock.run_for(1_000)
    expect(live).to_be_visible()
    assert alex.evaluate("window.__sockets") == 3

    # No longer allowed (4403): closed for good.
    routes[2].close(code=4403, reason="not allowed")
    expect(live).to_be_hidden()
    alex.clock.run_for(10 * 60_000)
    alex.evaluate("window.dispatchEvent(new Event('online'))")
    alex.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    alex.clock.run_for(10 * 60_000)
    assert alex.evaluate("window.__sockets") == 3
    expect(live).to_be_hidden()
    assert len(routes) == 3

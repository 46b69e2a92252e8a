/* Village: the bell's unread count, live over a websocket.
 * Progressive enhancement only: the count in the page is right without this script, and if
 * websockets are blocked we quietly stop trying after a while. No inline JS (CSP).
 * A module: the socket and its reconnects are reconnect.js's. */
import { connect, socketUrl } from "./reconnect.js";

(function () {
  var counts = document.querySelectorAll("[data-bell-count]");
  if (!counts.length || !("WebSocket" in window)) { return; }

  var unreadLabel = " unread";

  function render(n) {
    n = Math.max(0, parseInt(n, 10) || 0);
    counts.forEach(function (el) {
      el.textContent = "";
      if (n > 0) {
        el.appendChild(document.createTextNode(n > 99 ? "99+" : String(n)));
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = unreadLabel;
        el.appendChild(hidden);
        el.classList.remove("is-empty");
      } else {
        el.classList.add("is-empty");
      }
    });
  }

  // Marks the bell as live (connected), for styling and for the browser tests.
  function setLive(on) {
    document.querySelectorAll("[data-bell]").forEach(function (el) {
      if (on) { el.setAttribute("data-bell-live", ""); } else { el.removeAttribute("data-bell-live"); }
    });
  }

  // Stops for good on 4401 (logged out: nothing to show).
  connect({
    url: socketUrl("/ws/notifications/"),
    baseDelay: 1000,
    maxDelay: 60000, // 1s, 2s, 4s ... up to a minute
    maxAttempts: 12, // then wait until the page is shown again
    pauseWhenHidden: true,
    onOpen: function () { setLive(true); },
    onClose: function () { setLive(false); },
    onMessage: function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.unread === "number") { render(frame.unread); }
    }
  });
})();

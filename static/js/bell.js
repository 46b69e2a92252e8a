/* Village: the bell's unread count, live over a websocket.
 * Progressive enhancement only: the count in the page is right without this script, and if
 * websockets are blocked we quietly stop trying after a while. No inline JS (CSP). */
(function () {
  "use strict";
  var counts = document.querySelectorAll("[data-bell-count]");
  if (!counts.length || !("WebSocket" in window)) { return; }

  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + "/ws/notifications/";
  var attempt = 0;
  var maxAttempts = 12;
  var socket = null;
  var timer = null;
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

  function schedule() {
    if (timer || attempt >= maxAttempts || document.visibilityState === "hidden") { return; }
    // Jittered exponential backoff: 1s, 2s, 4s ... up to a minute, never in lockstep.
    var base = Math.min(60000, 1000 * Math.pow(2, attempt));
    var delay = base / 2 + Math.random() * base / 2;
    attempt += 1;
    timer = window.setTimeout(function () { timer = null; connect(); }, delay);
  }

  function connect() {
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) { return; }
    try {
      socket = new WebSocket(url);
    } catch (e) {
      schedule();
      return;
    }
    socket.onopen = function () { attempt = 0; setLive(true); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.unread === "number") { render(frame.unread); }
    };
    socket.onclose = function (event) {
      socket = null;
      setLive(false);
      if (event.code === 4401) { return; } // logged out: nothing to show
      schedule();
    };
    socket.onerror = function () { /* onclose follows and schedules a retry */ };
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket) { attempt = 0; schedule(); }
  });
  connect();
})();

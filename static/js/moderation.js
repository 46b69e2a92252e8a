// The live review queue: listen on /ws/moderation/ and refetch the list when it changes.
// Without JavaScript the queue is a plain page: reload to see new items.
// A module: the socket and its reconnects are reconnect.js's.
import { connect, socketUrl } from "./reconnect.js";

(function () {
  var queue = document.querySelector("[data-queue]");
  if (!queue || !window.WebSocket) return;
  var status = document.querySelector("[data-queue-status]");
  var partialUrl = queue.getAttribute("data-partial-url");
  var pending = null;

  function typing() {
    // Never replace the list under someone who is writing a reason.
    var el = document.activeElement;
    return el && queue.contains(el) && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.tagName === "INPUT");
  }

  function refresh() {
    if (typing()) {
      pending = pending || setTimeout(function () { pending = null; refresh(); }, 3000);
      return;
    }
    var before = {};
    queue.querySelectorAll("[data-case]").forEach(function (el) { before[el.getAttribute("data-case")] = true; });
    fetch(partialUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        queue.innerHTML = html;
        queue.querySelectorAll("[data-case]").forEach(function (el) {
          if (!before[el.getAttribute("data-case")]) el.classList.add("is-new");
        });
      })
      .catch(function () { /* the page still works; try again on the next event */ });
  }

  // Stops for good on 4401/4403 (logged out, no longer a moderator); otherwise reconnects
  // with jittered backoff, 1s doubling up to 30s.
  connect({
    url: socketUrl("/ws/moderation/"),
    onOpen: function () {
      if (status) status.hidden = false;
      refresh(); // catch up on anything missed while disconnected
    },
    onMessage: function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data && data.type === "queue.changed") refresh();
    },
    onClose: function () {
      if (status) status.hidden = true;
    }
  });
})();

// The live review queue: listen on /ws/moderation/ and refetch the list when it changes.
// Without JavaScript the queue is a plain page: reload to see new items.
(function () {
  "use strict";
  var queue = document.querySelector("[data-queue]");
  if (!queue || !window.WebSocket) return;
  var status = document.querySelector("[data-queue-status]");
  var partialUrl = queue.getAttribute("data-partial-url");
  var socket = null;
  var retry = 1000;
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

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(proto + location.host + "/ws/moderation/");
    socket.onopen = function () {
      retry = 1000;
      if (status) status.hidden = false;
      refresh(); // catch up on anything missed while disconnected
    };
    socket.onmessage = function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data && data.type === "queue.changed") refresh();
    };
    socket.onclose = function (ev) {
      if (status) status.hidden = true;
      if (ev.code === 4401 || ev.code === 4403) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();

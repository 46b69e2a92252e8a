/* Village: one websocket that keeps itself connected, shared by chat.js, bell.js and
 * moderation.js. A native ES module (no build step): `import { connect } from "./reconnect.js"`.
 *
 * The rules are docs/chat-protocol.md's: a close with a stop code (4401 logged out, 4403 not
 * allowed) ends it for good; anything else (1006, 1011, 1012, 1013, 4013, 4029 ...) means try
 * again after a jittered exponential backoff, so thousands of phones dropped at once do not
 * all come back in the same second. It also comes straight back when the browser says it is
 * online again or the page is shown again, and there is never more than one socket at a time.
 */

export const STOP_CODES = [4401, 4403];

/* The wait before retry number `attempt` (0 for the first): base * 2^attempt, capped, then
 * "equal jitter" (somewhere between half of that and all of it). */
export function backoffDelay(attempt, base, cap, random) {
  const full = Math.min(cap, base * Math.pow(2, attempt));
  return full / 2 + (random || Math.random)() * full / 2;
}

/* The page's own origin, ws:// or wss:// to match, and `path`. */
export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + path;
}

/* Open a socket to `url` and keep it open. Every callback is optional:
 *   onOpen(socket)                  each time a socket opens
 *   onMessage(event)                each frame from the open socket
 *   onClose(event, {stopped, retrying})   each time a socket closes (or cannot be made)
 *   onStatus(state, detail)         "connecting", "open", "retrying" ({delay}), "offline"
 *                                   (waits for the browser's `online`), "paused" (hidden page,
 *                                   or out of attempts: waits to be shown or online), "stopped"
 * Options: stopCodes, baseDelay (ms, 1000), maxDelay (ms, 30000), maxAttempts (retries in a
 * row before pausing; unlimited), pauseWhenHidden (no retries while the page is hidden).
 * Returns {send(data) -> bool, drop(), stop(), isOpen(), isStopped()}. */
export function connect(options) {
  const opts = options || {};
  const stopCodes = opts.stopCodes || STOP_CODES;
  const base = opts.baseDelay || 1000;
  const cap = opts.maxDelay || 30000;
  const maxAttempts = opts.maxAttempts || Infinity;
  let socket = null;
  let timer = null;
  let attempt = 0;
  let stopped = false;

  function call(name) {
    const fn = opts[name];
    if (typeof fn === "function") fn.apply(null, Array.prototype.slice.call(arguments, 1));
  }

  function status(state, detail) { call("onStatus", state, detail || {}); }

  function live() { return socket && (socket.readyState === 0 || socket.readyState === 1); }

  function hidden() { return opts.pauseWhenHidden && document.visibilityState === "hidden"; }

  function open() {
    clearTimeout(timer);
    timer = null;
    if (stopped || live()) return; // never two sockets at once
    let sock;
    try {
      sock = new WebSocket(typeof opts.url === "function" ? opts.url() : opts.url);
    } catch (e) {
      socket = null;
      closed({ code: 1006, reason: "", wasClean: false });
      return;
    }
    socket = sock;
    status("connecting");
    sock.onopen = function () {
      if (sock !== socket) return;
      attempt = 0;
      status("open");
      call("onOpen", sock);
    };
    sock.onmessage = function (event) {
      if (sock === socket) call("onMessage", event);
    };
    sock.onclose = function (event) {
      if (sock !== socket) return;
      socket = null;
      closed(event);
    };
    sock.onerror = function () { /* onclose follows */ };
  }

  function closed(event) {
    if (stopCodes.indexOf(event.code) !== -1) stopped = true;
    call("onClose", event, { stopped: stopped, retrying: !stopped });
    if (stopped) { status("stopped", { code: event.code }); return; }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (navigator.onLine === false) { status("offline"); return; } // `online` brings us back
    if (hidden() || attempt >= maxAttempts) { status("paused"); return; } // shown again does
    const delay = backoffDelay(attempt, base, cap);
    attempt += 1;
    status("retrying", { delay: delay });
    timer = setTimeout(open, delay);
  }

  // Back online, or shown again: try now rather than at the end of a long wait.
  function comeBack() {
    if (stopped || live()) return;
    attempt = 0;
    open();
  }

  // Let go of this socket now (its own close event, whenever it comes, is ignored).
  function abandon() {
    const sock = socket;
    if (!sock) return;
    socket = null;
    try { sock.close(); } catch (e) { /* already closing */ }
    closed({ code: 1006, reason: "", wasClean: false });
  }

  window.addEventListener("online", comeBack);
  // The socket may take minutes to notice; letting go now means `online` reconnects at once.
  window.addEventListener("offline", abandon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") comeBack();
  });

  open();

  return {
    send: function (data) {
      if (!socket || socket.readyState !== 1) return false;
      try { socket.send(data); return true; } catch (e) { return false; }
    },
    // This socket seems dead: close it and reconnect as after any other close.
    drop: abandon,
    // Close for good from this side: no more reconnects.
    stop: function () {
      stopped = true;
      clearTimeout(timer);
      const sock = socket;
      socket = null;
      if (sock) { try { sock.close(); } catch (e) { /* already closing */ } }
      status("stopped", {});
    },
    isOpen: function () { return !!socket && socket.readyState === 1; },
    isStopped: function () { return stopped; }
  };
}

"""static/js/reconnect.js, the one websocket reconnect loop of chat.js, bell.js and moderation.js,
run under node against a stand-in browser (sockets, timers, online/offline and visibility that
the test drives by hand). The real module is imported; only the browser around it is fake."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

# A browser just big enough for the module: the test drives every event itself.
HARNESS = r"""
// Imported first: node's own loader needs the real timers.
const { connect, backoffDelay, socketUrl } = await import(process.argv[2]);
const sockets = [];
const timers = [];
let now = 0;
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(data) { this.sent.push(data); }
  close() { if (this.readyState < 2) this.readyState = 2; }
  serverOpens() { this.readyState = 1; this.onopen && this.onopen({}); }
  serverCloses(code) { this.readyState = 3; this.onclose && this.onclose({ code, reason: "" }); }
}
const win = new EventTarget();
const doc = new EventTarget();
doc.visibilityState = "visible";
const nav = { onLine: true };
for (const [name, value] of Object.entries({
  WebSocket: FakeSocket, window: win, document: doc, navigator: nav,
  location: { protocol: "https:", host: "village.test" },
  setTimeout: (fn, ms) => { timers.push({ fn, at: now + ms, ms }); return timers.length; },
  clearTimeout: (id) => { if (id) timers[id - 1] = null; },
})) {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}
// Run every timer due within `ms`, in time order.
function advance(ms) {
  const end = now + ms;
  for (;;) {
    let next = -1;
    timers.forEach((t, i) => {
      if (t && t.at <= end && (next < 0 || t.at < timers[next].at)) next = i;
    });
    if (next < 0) break;
    const t = timers[next];
    timers[next] = null;
    now = t.at;
    t.fn();
  }
  now = end;
}
const pending = () => timers.filter(Boolean);
const live = () => sockets.filter((s) => s.readyState < 2).length;
const out = {};
"""


def _run(tmp_path: Path, body: str) -> dict:
    module = tmp_path / "reconnect.mjs"  # .mjs: node reads it as the ES module it is
    module.write_text((ROOT / "static" / "js" / "reconnect.js").read_text())
    script = tmp_path / "case.mjs"
    script.write_text(HARNESS + body + "\nprocess.stdout.write(JSON.stringify(out));\n")
    result = subprocess.run(
        ["node", str(script), module.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_backoff_doubles_from_the_base_up_to_the_cap_with_jitter_in_the_upper_half(tmp_path):
    out = _run(
        tmp_path,
        """
        out.low = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 30000, () => 0));
        out.high = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 30000, () => 1));
        out.url = socketUrl("/ws/moderation/");
        """,
    )
    assert out["low"] == [500, 1000, 2000, 4000, 8000, 15000, 15000]
    assert out["high"] == [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    assert out["url"] == "wss://village.test/ws/moderation/"


def test_retriable_closes_reconnect_with_growing_jittered_waits(tmp_path):
    out = _run(
        tmp_path,
        """
        const states = [];
        let opens = 0;
        connect({ url: "wss://x/ws/", onOpen: () => opens++, onStatus: (s) => states.push(s) });
        out.first = sockets.length;
        sockets[0].serverOpens();
        out.delays = [];
        for (const code of [1006, 4013, 1013, 4029, 1011, 1012, 1006, 1006]) {
          sockets[sockets.length - 1].serverCloses(code);
          const [t] = pending();
          out.delays.push(t.ms);
          advance(t.ms);
        }
        out.sockets = sockets.length;
        out.live = live();
        sockets[sockets.length - 1].serverOpens();  // open again: the next wait starts small
        sockets[sockets.length - 1].serverCloses(1006);
        out.after = pending()[0].ms;
        out.opens = opens;
        out.states = states.slice(0, 4);
        """,
    )
    assert out["first"] == 1
    assert out["sockets"] == 9 and out["live"] == 1
    bounds = [(500, 1000), (1000, 2000), (2000, 4000), (4000, 8000), (8000, 16000)]
    bounds += [(15000, 30000)] * 3
    for delay, (low, high) in zip(out["delays"], bounds, strict=True):
        assert low <= delay <= high, out["delays"]
    assert len(set(out["delays"])) == len(out["delays"])  # jittered, not in lockstep
    assert 500 <= out["after"] <= 1000
    assert out["opens"] == 2
    assert out["states"] == ["connecting", "open", "retrying", "connecting"]


def test_4401_and_4403_stop_for_good_even_when_back_online_or_shown(tmp_path):
    out = _run(
        tmp_path,
        """
        out.cases = {};
        for (const code of [4401, 4403]) {
          const before = sockets.length;
          const closes = [];
          const conn = connect({ url: "wss://x/", onClose: (ev, how) => closes.push(how) });
          sockets[sockets.length - 1].serverOpens();
          sockets[sockets.length - 1].serverCloses(code);
          win.dispatchEvent(new Event("online"));
          doc.dispatchEvent(new Event("visibilitychange"));
          advance(600000);
          out.cases[code] = {
            made: sockets.length - before, timers: pending().length, closes,
            stopped: conn.isStopped(), sent: conn.send("x"),
          };
        }
        """,
    )
    for code in ("4401", "4403"):
        case = out["cases"][code]
        assert case["made"] == 1, code
        assert case["timers"] == 0
        assert case["closes"] == [{"stopped": True, "retrying": False}]
        assert case["stopped"] is True and case["sent"] is False


def test_offline_waits_for_online_and_then_connects_at_once(tmp_path):
    out = _run(
        tmp_path,
        """
        const closes = [];
        connect({ url: "wss://x/", onClose: (ev, how) => closes.push(how.retrying) });
        sockets[0].serverOpens();
        nav.onLine = false;
        win.dispatchEvent(new Event("offline"));  // the socket is let go at once
        out.closedOnOffline = sockets[0].readyState >= 2;
        out.timersWhileOffline = pending().length;
        sockets[0].serverCloses(1006);  // its late close event changes nothing
        out.closes = closes;
        nav.onLine = true;
        win.dispatchEvent(new Event("online"));
        out.sockets = sockets.length;
        win.dispatchEvent(new Event("online"));  // twice: still one socket
        doc.dispatchEvent(new Event("visibilitychange"));
        out.again = sockets.length;
        out.live = live();
        """,
    )
    assert out["closedOnOffline"] is True
    assert out["timersWhileOffline"] == 0
    assert out["closes"] == [True]
    assert out["sockets"] == 2 and out["again"] == 2 and out["live"] == 1


def test_shown_again_cuts_a_long_wait_short_and_never_makes_a_second_socket(tmp_path):
    out = _run(
        tmp_path,
        """
        connect({ url: "wss://x/" });
        for (let i = 0; i < 6; i++) {  // a long outage: the wait has grown
          sockets[sockets.length - 1].serverCloses(1006);
          if (i < 5) advance(pending()[0].ms);
        }
        out.waiting = pending()[0].ms;
        doc.dispatchEvent(new Event("visibilitychange"));
        out.sockets = sockets.length;
        out.timers = pending().length;  // the long wait is cancelled
        advance(600000);
        out.later = sockets.length;
        out.live = live();
        """,
    )
    assert out["waiting"] >= 15000
    assert out["sockets"] == 7 and out["timers"] == 0
    assert out["later"] == 7 and out["live"] == 1


def test_the_bells_options_pause_while_hidden_and_after_twelve_tries(tmp_path):
    out = _run(
        tmp_path,
        """
        const states = [];
        const opts = { url: "wss://x/", maxAttempts: 12, pauseWhenHidden: true, baseDelay: 1000,
                       maxDelay: 60000, onStatus: (s) => states.push(s) };
        connect(opts);
        for (let i = 0; i < 20; i++) {
          sockets[sockets.length - 1].serverCloses(1006);
          const t = pending()[0];
          if (!t) break;
          advance(t.ms);
        }
        out.tries = sockets.length;
        out.last = states[states.length - 1];
        doc.visibilityState = "hidden";
        doc.dispatchEvent(new Event("visibilitychange"));
        out.hiddenTries = sockets.length;
        doc.visibilityState = "visible";
        doc.dispatchEvent(new Event("visibilitychange"));  // shown again: start over
        out.shown = sockets.length;
        doc.visibilityState = "hidden";
        sockets[sockets.length - 1].serverCloses(1006);
        out.hiddenTimers = pending().length;
        out.hiddenState = states[states.length - 1];
        """,
    )
    assert out["tries"] == 13  # the first connect and twelve retries
    assert out["last"] == "paused"
    assert out["hiddenTries"] == 13
    assert out["shown"] == 14
    assert out["hiddenTimers"] == 0 and out["hiddenState"] == "paused"


def test_drop_lets_a_silent_socket_go_and_reconnects(tmp_path):
    out = _run(
        tmp_path,
        """
        const conn = connect({ url: "wss://x/" });
        sockets[0].serverOpens();
        out.sent = conn.send("hello");
        conn.drop();
        out.closed = sockets[0].readyState >= 2;
        out.open = conn.isOpen();
        advance(pending()[0].ms);
        out.sockets = sockets.length;
        out.frames = sockets[0].sent;
        """,
    )
    assert out["sent"] is True and out["frames"] == ["hello"]
    assert out["closed"] is True and out["open"] is False
    assert out["sockets"] == 2

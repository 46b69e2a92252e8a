"""LOG_FORMAT=json on the real server (daphne ... config.asgi:application): every line it
writes is one JSON object with a request or socket id, the ids match the X-Request-ID the
client sees (or sent), all lines of one request share one id, and tokens stay masked."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "s3cr3tT0KEN-abc123"

pytestmark = pytest.mark.fault


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, **headers):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jsonlogs")
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} and not k.startswith("PYTEST")}
    env.update(DEBUG="1", LOG_FORMAT="json", VILLAGE_VAR_DIR=str(tmp / "var"),
               VILLAGE_GC_TUNING="0", DJANGO_SETTINGS_MODULE="config.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    with open(tmp / "stdout", "w") as out, open(tmp / "stderr", "w") as err:
        proc = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)

    seen = {}
    seen["given"] = get(port, "/healthz", **{"X-Request-ID": "probe-1234abcd"})
    seen["missing"] = get(port, "/no-such-page/")
    seen["feed"] = get(port, f"/meetups/feed/{SECRET}.ics")

    async def socket_attempt():
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/groups/none/chat/",
                                          origin=f"http://127.0.0.1:{port}") as ws:
                await asyncio.wait_for(ws.recv(), 5)
        except Exception:  # refused: no session
            pass

    asyncio.run(socket_attempt())
    time.sleep(0.5)  # let the last lines reach the files before the process stops
    proc.terminate()
    proc.wait(timeout=20)
    text = (tmp / "stderr").read_text() + (tmp / "stdout").read_text()
    return seen, [line for line in text.splitlines() if line.strip()]


def test_every_line_is_json_with_an_id(run):
    _, lines = run
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert records
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record), record


def test_ids_match_the_request(run):
    seen, lines = run
    records = [json.loads(line) for line in lines]
    by_id: dict[str, list[dict]] = {}
    for r in records:
        by_id.setdefault(r["request_id"], []).append(r)

    status, headers = seen["given"]
    assert status == 200 and headers["X-Request-ID"] == "probe-1234abcd"
    assert [r["message"].split()[:3] for r in by_id["probe-1234abcd"]] == [
        ["GET", "/healthz", "200"]
    ]

    status, headers = seen["missing"]
    assert status == 404
    rid = headers["X-Request-ID"]
    assert len(rid) == 16
    messages = [r["message"] for r in by_id[rid]]
    assert any(m.startswith("Not Found: /no-such-page/") for m in messages), messages
    assert any(m.startswith("GET /no-such-page/ 404") for m in messages), messages

    sockets = [r for r in records if r["request_id"].startswith("ws-")]
    assert any(r["logger"] == "village.access" and r["message"].startswith("WEBSOCKET ")
               for r in sockets), sockets


def test_tokens_stay_masked(run):
    seen, lines = run
    assert seen["feed"][0] == 404
    assert not [line for line in lines if SECRET in line]
    assert any("/meetups/feed/[token].ics" in line for line in lines)

"""The real server, started the way ./dev up starts it (daphne ... config.asgi:application):
its access log and its warnings mask secret tokens, and a websocket to a path with non-ASCII
characters is refused without an ERROR or a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "s3cr3tT0KEN-abc123"

pytestmark = pytest.mark.fault


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("daphne")
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env.update(
        {
            "DEBUG": "1",
            "VILLAGE_VAR_DIR": str(tmp / "var"),
            "VILLAGE_GC_TUNING": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    port = _free_port()
    with open(tmp / "stdout", "w") as out, open(tmp / "stderr", "w") as err:
        proc = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=err,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port, tmp
    proc.terminate()
    proc.wait(timeout=10)


def _logs(tmp: Path) -> str:
    time.sleep(0.3)  # let daphne flush its line-buffered access log
    return (tmp / "stdout").read_text() + (tmp / "stderr").read_text()


def test_the_access_log_and_warnings_mask_tokens(server):
    port, tmp = server
    for path in (f"/meetups/feed/{SECRET}.ics", f"/notifications/unsubscribe/{SECRET}/"):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
    logs = _logs(tmp)
    assert '"GET /meetups/feed/[token].ics" 404' in logs  # daphne's access log
    assert "Not Found: /meetups/feed/[token].ics" in logs  # Django's warning
    assert '"GET /notifications/unsubscribe/[token]/" 400' in logs
    assert SECRET not in logs


def test_a_non_ascii_websocket_path_is_refused_quietly(server):
    port, tmp = server
    for path in (b"/ws/groups/caf%C3%A9/chat/", "/ws/groups/café/chat/".encode()):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(
                b"GET " + path + b" HTTP/1.1\r\n"
                + f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n".encode()
                + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            )  # fmt: skip
            reply = s.recv(4096)
        assert not reply.startswith(b"HTTP/1.1 101"), reply
        assert not reply.startswith(b"HTTP/1.1 500"), reply
    logs = _logs(tmp)
    assert " ERROR " not in logs and "Traceback" not in logs, logs[-3000:]

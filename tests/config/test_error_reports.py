"""Error reports (config/sentry.py) go to a real HTTP server standing in for Sentry, from a
fresh process configured by SENTRY_DSN alone; the crafted failures carry a message body, a
report note, referral text, an email address and secret tokens in every place they could
leak from (the POST body, the query string, a cookie, local variables, the exception's text,
a log line's arguments, a Huey task's arguments). None of them reaches the server."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from config.sentry import scrub_text

ROOT = Path(__file__).resolve().parents[2]

BODY = "sentinel-body my baby will not stop crying"
NOTE = "sentinel-note the reporter fears for the child"
REFERRAL = "sentinel-referral health visitor referred after a hard month"
EMAIL = "worried.parent@example.org"
TOKEN = "Zq8tk3nAbCdEf0123456789xyzSECRET"
PRIVATE = [BODY, NOTE, REFERRAL, EMAIL, TOKEN, "worried.parent", "sentinel-"]

CRAFTED = f"""
import logging, sys, types
import sentry_sdk
from django.test import Client, override_settings
from django.urls import path
from huey.contrib.djhuey import HUEY

BODY, NOTE, REFERRAL, EMAIL, TOKEN = {BODY!r}, {NOTE!r}, {REFERRAL!r}, {EMAIL!r}, {TOKEN!r}
log = logging.getLogger("village.crafted")

def boom(request):
    body, note, referral, email = request.POST["body"], NOTE, REFERRAL, EMAIL
    log.warning("looked at a message from %s: %s", email, body)  # a breadcrumb
    raise RuntimeError(f"no room for {{email}} at /meetups/feed/{{TOKEN}}.ics (token {{TOKEN}})")

urls = types.ModuleType("crafted_urls")
urls.urlpatterns = [path("boom/", boom)]
sys.modules["crafted_urls"] = urls

with override_settings(ROOT_URLCONF="crafted_urls", ALLOWED_HOSTS=["testserver"]):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = TOKEN
    response = client.post(
        f"/boom/?token={{TOKEN}}&email={{EMAIL}}",
        {{"body": BODY, "note": NOTE, "referral": REFERRAL, "email": EMAIL}},
        HTTP_X_REFERRAL=REFERRAL,
    )
    assert response.status_code == 500, response.status_code

@HUEY.task()
def deliver(body, email, note):
    local_copy = body + note
    raise ValueError("delivery failed")

deliver(BODY, EMAIL, NOTE)
log.error("could not deliver to %s: %s", EMAIL, BODY)
assert sentry_sdk.flush(timeout=10) is None
print("crafted errors sent")
"""


class Capture(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        assert encoding in {"", "gzip", "deflate"}, encoding
        self.received.append(self.path.encode() + b"\n" + raw)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    Capture.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_no_private_text_reaches_the_error_tracker(sentry_server, tmp_path):
    port = sentry_server.server_address[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
        DEBUG="1",
        HUEY_IMMEDIATE="1",
        VILLAGE_VAR_DIR=str(tmp_path / "var"),
    )
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", CRAFTED],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert "crafted errors sent" in result.stdout, result.stdout + result.stderr

    payload = b"\n".join(Capture.received).decode("utf-8", "replace")
    for private in PRIVATE:
        assert private not in payload, f"{private!r} reached the error tracker"
    # The reports did arrive, and are still useful: what failed, and where.
    assert "RuntimeError" in payload and "ValueError" in payload
    assert "delivery failed" in payload
    assert "no room for [email] at /meetups/feed/[token].ics" in payload
    assert "could not deliver to %s: %s" in payload
    events = [json.loads(line) for line in payload.splitlines() if '"exception"' in line]
    request_event = next(e for e in events if e.get("transaction") == "/boom/")
    # No body, cookies, headers or query string (Django's test client has no URL to give).
    assert set(request_event.get("request", {})) <= {"method", "url"}
    assert "user" not in request_event and "extra" not in request_event


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (f"mail {EMAIL} now", "mail [email] now"),
        (f"GET /groups/invite/{TOKEN}/", "GET /groups/invite/[token]/"),
        (f"key {TOKEN}.", "key [token]."),
        ('duplicate key\nDETAIL:  Key (email)=(a@b.c) exists.', "duplicate key\nDETAIL: [removed]"),
        ("KeyError: 'display_name' in chat/services.py",) * 2,
    ],
)
def test_scrub_text(text, scrubbed):
    assert scrub_text(text) == scrubbed

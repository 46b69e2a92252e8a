"""Test doubles that are real: a browser's push keys, and a push service on this machine.

`Browser` makes a P-256 key pair and a 16-byte auth secret the way a browser does for
`pushManager.subscribe`, and decrypts what arrives for it (aes128gcm, with http_ece).
`PushService` is a small HTTP server that records every push and answers as told (201 unless
a path's script says otherwise), and checks the VAPID JWT the way a push service does.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict:
        """What `PushSubscription.toJSON()` gives the page."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@dataclass
class Push:
    path: str
    headers: dict
    body: bytes
    at: float
    status: int


@dataclass
class PushService:
    server: ThreadingHTTPServer
    pushes: list[Push] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict]]] = field(default_factory=lambda: defaultdict(list))
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def answer(self, name: str, *answers: tuple[int, dict]) -> None:
        """The next answers for pushes to `name`, in order; 201 after them."""
        self.script[f"/push/{name}"].extend(answers)

    def to(self, name: str) -> list[Push]:
        return [p for p in self.pushes if p.path == f"/push/{name}"]

    def accepted(self, name: str) -> list[Push]:
        return [p for p in self.to(name) if p.status == 201]


def start_push_service() -> PushService:
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            service: PushService = holder["service"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if service.delay:
                time.sleep(service.delay)
            with service.lock:
                script = service.script.get(self.path) or []
                status, extra = script.pop(0) if script else (201, {})
                service.pushes.append(
                    Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                         time.time(), status)  # fmt: skip
                )
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        # A real push service takes thousands of connections at once; socketserver's default
        # backlog of 5 made a busy CI machine drop a device's connection now and then (then
        # retried later, after these tests stop waiting), which is this fake's limit, not ours.
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["service"] = service = PushService(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service


def vapid_claims(push: Push, *, audience: str) -> dict:
    """Check the push's VAPID Authorization (RFC 8292) the way a push service does: our
    public key, a valid ES256 signature, and the claims. Returns the claims."""
    scheme, _, params = push.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == settings.VAPID_PUBLIC_KEY
    head, claims, sig = parts["t"].split(".")
    assert json.loads(b64url_decode(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = b64url_decode(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64url_decode(parts["k"])
    )
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )  # raises InvalidSignature
    data = json.loads(b64url_decode(claims))
    assert data["aud"] == audience
    assert data["sub"] == settings.VAPID_CONTACT
    assert push.at < data["exp"] <= push.at + 24 * 3600
    return data

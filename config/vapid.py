"""VAPID keys for web push (RFC 8292): one P-256 key pair that identifies this Village to the
browsers' push services.

Keys travel as base64url text: the private key is the raw 32-byte secret, the public key the
65-byte uncompressed point (what a browser's `applicationServerKey` wants). With no keys in the
environment, `load_or_create` keeps a pair in a file under `var/` (made on first run, readable
only by its owner), so a fresh clone pushes out of the box and the pair survives restarts.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate() -> tuple[str, str]:
    """A new (private, public) pair as base64url text."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(private), b64url(public)


def public_of(private: str) -> str:
    """The public key belonging to a base64url private key."""
    value = int.from_bytes(b64url_decode(private), "big")
    key = ec.derive_private_key(value, ec.SECP256R1())
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def load_or_create(path: Path) -> tuple[str, str]:
    """The pair kept in `path`, made (atomically: two processes starting together agree on
    one pair) when the file does not exist yet."""
    try:
        data = json.loads(path.read_text())
        return data["private"], data["public"]
    except FileNotFoundError:
        pass
    private, public = generate()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"private": private, "public": public}, fh)
    try:
        os.link(tmp, path)  # fails if another process made it first: use theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    data = json.loads(path.read_text())
    return data["private"], data["public"]

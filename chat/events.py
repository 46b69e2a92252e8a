"""Channel group names, event payloads and broadcasting after commit.

Broadcasts are hints: they happen only after the transaction commits, carry the event's
sequence number, and a failing channel layer never breaks the write (the database is the truth
and clients resume from it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(frame: dict[str, Any]) -> str:
    """Serialise a frame once; every recipient gets the same text."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the layer is a hint; clients heal from the database
        log.warning("channel layer send to %s failed", group, exc_info=True)


def broadcast_room_on_commit(
    room_id: int, frame: dict[str, Any], private: dict[int, dict[str, Any]] | None = None
) -> None:
    """After commit, send a room frame (already including its seq) to everyone in the room.

    `private` maps a user id to the frame that user sees instead (e.g. the author of a held
    message sees it; everyone else gets a `skip` for that seq). Each frame is serialised once.
    """
    text = encode(frame)
    message: dict[str, Any] = {"type": "room.event", "text": text}
    if "seq" in frame:
        message["seq"] = frame["seq"]
    if private:
        message["private"] = {str(uid): encode(f) for uid, f in private.items()}
    transaction.on_commit(lambda: _group_send(room_group(room_id), message))


def send_to_user_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """After commit, send a small event to every socket of one user (chat and the bell).

    Consumers handle channel messages of type "user.event" and look at event["type"], e.g.
    "membership.revoked", "membership.muted", "notification.created".
    """
    transaction.on_commit(
        lambda: _group_send(user_group(user_id), {"type": "user.event", "event": event})
    )

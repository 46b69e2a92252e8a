"""Channel group names, event payloads and broadcasting after commit.

Broadcasts are hints: they happen only after the transaction commits, carry the event's
sequence number, and a failing channel layer never breaks the write (the database is the truth
and clients resume from it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from config import outage

log = logging.getLogger(__name__)


#: The channel layer alias for room broadcasts (typing, presence and room events), when
#: configured (config/settings.py: pub/sub on Redis); else the default layer.
ROOM_LAYER_ALIAS = "rooms"


def room_layer_alias() -> str:
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    return ROOM_LAYER_ALIAS if ROOM_LAYER_ALIAS in layers else DEFAULT_CHANNEL_LAYER


def room_layer():
    """The layer that carries `room.<id>` groups (user groups stay on the default layer)."""
    return get_channel_layer(room_layer_alias())


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(frame: dict[str, Any]) -> str:
    """Serialise a frame once; every recipient gets the same text."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The server's event loop, when this code runs in one of its worker threads."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() and not loop.is_closed() else None


LAYER = "Redis (channel layer)"


def _sent(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        outage.down(LAYER, future.exception())


def _group_send(group: str, message: dict[str, Any], layer=None) -> None:
    layer = layer if layer is not None else get_channel_layer()
    if layer is None:
        return
    loop = _server_loop()
    if loop is not None:
        # In the server: hand the send to its event loop and return at once, so the writing
        # thread never waits for a busy loop or for Redis. (Two sends may overtake each other;
        # sockets order events by seq.)
        try:
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        except RuntimeError:  # the loop is shutting down
            log.warning("channel layer send to %s dropped: server stopping", group)
            return
        future.add_done_callback(_sent)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:  # the layer is a hint; clients heal from the database
        outage.down(LAYER, exc)


def broadcast_room_on_commit(
    room_id: int, frame: dict[str, Any], private: dict[int, dict[str, Any]] | None = None
) -> None:
    """After commit, send a room frame (already including its seq) to everyone in the room.

    `private` maps a user id to the frame that user sees instead (e.g. the author of a held
    message sees it; everyone else gets a `skip` for that seq). Each frame is serialised once.
    """
    text = encode(frame)
    message: dict[str, Any] = {"type": "room.event", "text": text, "kind": frame.get("type")}
    if "seq" in frame:
        message["seq"] = frame["seq"]
    if private:
        message["private"] = {str(uid): encode(f) for uid, f in private.items()}
    transaction.on_commit(lambda: _group_send(room_group(room_id), message, room_layer()))


def send_to_user_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """After commit, send a small event to every socket of one user (chat and the bell).

    Consumers handle channel messages of type "user.event" and look at event["type"], e.g.
    "membership.revoked", "membership.muted", "notification.created".
    """
    transaction.on_commit(
        lambda: _group_send(user_group(user_id), {"type": "user.event", "event": event})
    )


def session_ended_on_commit(sender=None, *, user_id: int, **kwargs) -> None:
    """One of the member's log-ins ended: after commit, every socket of theirs (chat, the bell,
    the moderation queue, in every process) checks whether it was opened with that one, and
    closes with 4401 if so. The access stamp is renewed too, so a socket whose message is lost
    still refuses its next frame."""
    from groups.permissions import access_changed

    access_changed(user_id=user_id)
    send_to_user_on_commit(user_id, {"type": "session.ended"})

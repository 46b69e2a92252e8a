"""Chat's broadcasts: room frames built from chat payloads, sent after commit through the
realtime layer (realtime.sender; channel names in realtime.names).

Broadcasts are hints: they happen only after the transaction commits, carry the event's
sequence number, and a failing channel layer never breaks the write (the database is the truth
and clients resume from it).
"""

from __future__ import annotations

from typing import Any

from realtime.events import UserEvent
from realtime.names import room_group, room_layer_alias
from realtime.sender import encode, send_on_commit, send_to_user_on_commit


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
    send_on_commit(room_group(room_id), message, layer_alias=room_layer_alias())


def session_ended_on_commit(sender=None, *, user_id: int, **kwargs) -> None:
    """One of the member's log-ins ended: after commit, every socket of theirs (chat, the bell,
    the moderation queue, in every process) checks whether it was opened with that one, and
    closes with 4401 if so. The access stamp is renewed too, so a socket whose message is lost
    still refuses its next frame."""
    from groups.permissions import access_changed

    access_changed(user_id=user_id)
    send_to_user_on_commit(user_id, {"type": UserEvent.SESSION_ENDED})

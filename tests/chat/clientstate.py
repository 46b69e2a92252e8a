"""A reference client: applies frames exactly as static/js/chat.js does, strictly by seq."""

from __future__ import annotations

import copy
from typing import Any

DURABLE_MESSAGE = {
    "message.created",
    "message.edited",
    "message.deleted",
    "message.pinned",
    "message.unpinned",
    "message.restored",
}


class ClientState:
    def __init__(self, seq: int = 0):
        self.seq = seq
        self.messages: dict[int, dict[str, Any]] = {}
        self.applied: list[int] = []
        self.room: dict[str, Any] = {}
        self.resets = 0

    def apply(self, frame: dict[str, Any]) -> None:
        t = frame["type"]
        if t == "reset":
            self.messages = {m["id"]: copy.deepcopy(m) for m in frame["messages"]}
            self.seq = frame["head"]
            self.resets += 1
            return
        if t == "ack" or not isinstance(frame.get("seq"), int):
            return
        if frame["seq"] <= self.seq:
            return
        assert frame["seq"] == self.seq + 1, f"gap: at {self.seq}, got {frame['seq']}"
        self.seq = frame["seq"]
        self.applied.append(self.seq)
        if t in DURABLE_MESSAGE:
            m = copy.deepcopy(frame["message"])
            self.messages[m["id"]] = m
            if t != "message.created":
                self._refresh_replies(m)
        elif t == "reaction.changed":
            if frame["message_id"] in self.messages:
                self.messages[frame["message_id"]]["reactions"] = frame["reactions"]
        elif t == "message.hidden":
            if frame.get("message"):  # hidden pending review: a placeholder in its place
                m = copy.deepcopy(frame["message"])
                self.messages[m["id"]] = m
                self._refresh_replies(m)
            else:  # removed, or an edit held by screening: gone
                self.messages.pop(frame["message_id"], None)
                self._refresh_replies({"id": frame["message_id"], "state": "removed"})
        elif t == "room.updated":
            self.room = frame["room"]

    def _refresh_replies(self, m: dict[str, Any]) -> None:
        ok = m.get("state") == "visible" and not m.get("deleted")
        for other in self.messages.values():
            r = other.get("reply_to")
            if r and r["id"] == m["id"]:
                other["reply_to"] = {
                    "id": m["id"],
                    "snippet": m["body"][:120] if ok else "",
                    "author": m["author"] if ok else None,
                    "state": "hidden" if m.get("state") == "hidden" else "visible",
                }

    def snapshot(self) -> dict[int, dict[str, Any]]:
        return {k: self.messages[k] for k in sorted(self.messages)}


def db_snapshot(room, viewer_id: int | None) -> dict[int, dict[str, Any]]:
    """What a fresh client should hold: every message the viewer may see, as now."""
    from chat.payloads import message_view
    from chat.selectors import room_messages_for

    qs = (
        room_messages_for(room=room, viewer_id=viewer_id)
        .select_related("author", "reply_to__author")
        .prefetch_related("reactions")
        .order_by("id")
    )
    return {m.pk: message_view(m, viewer_id) for m in qs}

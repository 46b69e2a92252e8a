"""Live queue updates: on-commit hints for /ws/moderation/ (group names in realtime.names).

Frames are hints with ids only (never bodies or names); the page refetches the queue."""

from __future__ import annotations

from realtime.names import SITE_QUEUE, group_queue
from realtime.sender import send_on_commit


def queue_changed_on_commit(*, group_id: int | None, case_id: int | None) -> None:
    groups = [SITE_QUEUE] + ([group_queue(group_id)] if group_id else [])
    event = {"type": "queue.changed", "case_id": case_id, "group_id": group_id}
    send_on_commit(groups, {"type": "queue.event", "event": event})

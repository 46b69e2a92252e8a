"""Live queue updates: channel group names and on-commit broadcasts for /ws/moderation/.

Frames are hints with ids only (never bodies or names); the page refetches the queue."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat.events import LAYER
from config import outage

log = logging.getLogger(__name__)

SITE_QUEUE = "moderation.site"


def group_queue(group_id: int) -> str:
    return f"moderation.group.{group_id}"


def _send(groups: list[str], event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for name in groups:
        try:
            async_to_sync(layer.group_send)(name, {"type": "queue.event", "event": event})
        except Exception as exc:  # a hint only: the queue page is the truth
            outage.down(LAYER, exc)
            return


def queue_changed_on_commit(*, group_id: int | None, case_id: int | None) -> None:
    groups = [SITE_QUEUE] + ([group_queue(group_id)] if group_id else [])
    event = {"type": "queue.changed", "case_id": case_id, "group_id": group_id}
    transaction.on_commit(lambda: _send(groups, event))

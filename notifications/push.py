"""Live bell updates, many members at once, after commit.

One `async_to_sync` for the whole batch (not one per member): the channel layer's
`group_send` is awaited for each member's group inside a single event-loop run, a bounded
number at a time. Pushes are hints: the database is the truth and the bell heals on the next
page load, so a failing layer is logged once and the rest of the batch is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat.events import user_group

log = logging.getLogger(__name__)

#: How many group_sends are in flight at once (Redis round trips overlap; memory stays small).
CONCURRENCY = 100


async def _send_all(layer, events: Sequence[tuple[int, dict[str, Any]]]) -> int:
    sent = 0
    for i in range(0, len(events), CONCURRENCY):
        chunk = events[i : i + CONCURRENCY]
        results = await asyncio.gather(
            *(
                layer.group_send(user_group(uid), {"type": "user.event", "event": event})
                for uid, event in chunk
            ),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        sent += len(chunk) - len(failed)
        if failed:
            log.warning(
                "channel layer failed for %d of %d bell pushes; skipping the remaining %d",
                len(failed), len(chunk), len(events) - i - len(chunk),
                exc_info=failed[0],
            )  # fmt: skip
            break
    return sent


def push_to_users(events: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Send each (user_id, event) to that member's open pages. Returns how many were sent."""
    if not events:
        return 0
    layer = get_channel_layer()
    if layer is None:
        return 0
    try:
        return async_to_sync(_send_all)(layer, events)
    except Exception:  # the layer is a hint; clients heal from the database
        log.warning("bell pushes failed", exc_info=True)
        return 0

"""Live bell updates, many members at once, after commit.

One `async_to_sync` for the whole batch (not one per member): the channel layer's
`group_send` is awaited for each member's group inside a single event-loop run, a bounded
number at a time. Pushes are hints: the database is the truth and the bell heals on the next
page load, so a failing layer is logged once and the rest of the batch is skipped.

Most members are not online when a job runs (a big nudge batch may find only a few of them
with a page open). On the Redis channel layer each `group_send` costs two round trips
even for an empty group, so the batch first asks Redis, in one pipeline per shard, which of the
members' groups have a live subscriber, and sends only to those (`_live_only`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat.events import LAYER, user_group
from config import outage

log = logging.getLogger(__name__)

#: How many group_sends are in flight at once (Redis round trips overlap; memory stays small).
CONCURRENCY = 100


#: How many group keys one pipeline asks about.
PIPELINE = 2000


async def _live_only(layer, events: Sequence[tuple[int, dict[str, Any]]]):
    """The events whose member's group has a live subscriber, on channels_redis'
    RedisChannelLayer (one ZCOUNT per group, pipelined per shard). Any other layer, or any
    error while asking, keeps every event: sending to an empty group is only wasted work."""
    needed = ("_group_key", "consistent_hash", "connection", "group_expiry")
    if not all(hasattr(layer, name) for name in needed):
        return events
    try:
        since = int(time.time()) - int(layer.group_expiry)
        by_shard: dict[int, list[int]] = {}
        for i, (uid, _event) in enumerate(events):
            by_shard.setdefault(layer.consistent_hash(user_group(uid)), []).append(i)
        live: set[int] = set()
        for shard, indexes in by_shard.items():
            conn = layer.connection(shard)
            for j in range(0, len(indexes), PIPELINE):
                part = indexes[j : j + PIPELINE]
                async with conn.pipeline(transaction=False) as pipe:
                    for i in part:
                        pipe.zcount(layer._group_key(user_group(events[i][0])), since, "+inf")
                    counts = await pipe.execute()
                live.update(i for i, n in zip(part, counts, strict=True) if n)
        return [e for i, e in enumerate(events) if i in live]
    except Exception:
        log.warning("could not ask the channel layer who is online; pushing to all", exc_info=True)
        return events


async def _send_all(layer, events: Sequence[tuple[int, dict[str, Any]]]) -> int:
    events = await _live_only(layer, events)
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
    except Exception as exc:  # the layer is a hint; clients heal from the database
        outage.down(LAYER, exc)
        return 0

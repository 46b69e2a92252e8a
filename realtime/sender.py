"""The one way to send to the channel layer: after commit, or now; one group, or a batch.

Sends are hints: the database is the truth and clients heal from it (chat resumes by seq, the
bell and the queue refetch). So a send never raises and never breaks the write that caused it:
a failing layer is logged once per outage (`config.outage`, WARNING, the error's type only,
never the message) and the rest of a batch is skipped.

The transport knows no domain: callers build the message (or the per-user event, see
realtime.events) and pick the recipients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.db import transaction

from config import outage

from . import reachins
from .events import user_message
from .names import user_group

log = logging.getLogger(__name__)

#: The component name every channel-layer failure is reported under (config.outage).
LAYER = "Redis (channel layer)"

#: How many group_sends of a batch are in flight at once (Redis round trips overlap; memory
#: stays small).
CONCURRENCY = 100

#: How many group keys one pipeline asks about (`_live_only`).
PIPELINE = 2000

Send = tuple[str, dict[str, Any]]


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


async def _live_only(layer, sends: Sequence[Send]) -> Sequence[Send]:
    """The sends whose group has a live subscriber, on channels_redis' RedisChannelLayer (one
    ZCOUNT per group, pipelined per shard): there each `group_send` costs two round trips even
    for an empty group, and most members are not online when a job runs. Any other layer, or
    any error while asking, keeps every send: sending to an empty group is only wasted work."""
    if not reachins.layer_can_count_members(layer):
        return sends
    try:
        since = int(time.time()) - int(layer.group_expiry)
        by_shard: dict[int, list[int]] = {}
        for i, (group, _message) in enumerate(sends):
            by_shard.setdefault(layer.consistent_hash(group), []).append(i)
        live: set[int] = set()
        for shard, indexes in by_shard.items():
            conn = layer.connection(shard)
            for j in range(0, len(indexes), PIPELINE):
                part = indexes[j : j + PIPELINE]
                async with conn.pipeline(transaction=False) as pipe:
                    for i in part:
                        pipe.zcount(reachins.layer_group_key(layer, sends[i][0]), since, "+inf")
                    counts = await pipe.execute()
                live.update(i for i, n in zip(part, counts, strict=True) if n)
        return [s for i, s in enumerate(sends) if i in live]
    except Exception:
        log.warning("could not ask the channel layer who is online; sending to all", exc_info=True)
        return sends


async def _deliver(layer, sends: Sequence[Send], live_only: bool = False) -> int:
    """Send each (group, message), a bounded number at a time. The first failure is reported
    (once per outage) and the rest skipped. Returns how many were sent. Never raises."""
    if live_only:
        sends = await _live_only(layer, sends)
    if len(sends) == 1:  # the usual case (a room broadcast, one member's event): no gather
        group, message = sends[0]
        try:
            await layer.group_send(group, message)
        except Exception as exc:
            outage.down(LAYER, exc)
            return 0
        return 1
    sent = 0
    for i in range(0, len(sends), CONCURRENCY):
        chunk = sends[i : i + CONCURRENCY]
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in chunk),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        sent += len(chunk) - len(failed)
        if failed:
            outage.down(LAYER, failed[0])
            break
    return sent


def send_now(group: str, message: dict[str, Any], *, layer_alias: str = DEFAULT_CHANNEL_LAYER):
    """Send one message to one group now, without waiting where that is possible.

    In the server (a worker thread of daphne's), the send is handed to its event loop and this
    returns at once, so the writing thread never waits for a busy loop or for Redis. (Two sends
    may then overtake each other; sockets order room events by seq.) Elsewhere (a Huey job, a
    management command, tests) it waits for the send."""
    layer = get_channel_layer(layer_alias)
    if layer is None:
        return
    loop = _server_loop()
    if loop is not None:
        try:
            asyncio.run_coroutine_threadsafe(_deliver(layer, [(group, message)]), loop)
        except RuntimeError:  # the loop is shutting down
            log.warning("channel layer send to %s dropped: server stopping", group)
        return
    try:
        async_to_sync(_deliver)(layer, [(group, message)])
    except Exception as exc:  # e.g. no event loop can be made: still only a hint
        outage.down(LAYER, exc)


def send_many_now(
    sends: Sequence[Send], *, layer_alias: str = DEFAULT_CHANNEL_LAYER, live_only: bool = False
) -> int:
    """Send each (group, message) now, in one event-loop run for the whole batch, and wait.
    `live_only` first asks the layer which groups have a subscriber (per-user batches: most
    members have no page open). Returns how many were sent."""
    if not sends:
        return 0
    layer = get_channel_layer(layer_alias)
    if layer is None:
        return 0
    try:
        return async_to_sync(_deliver)(layer, sends, live_only)
    except Exception as exc:
        outage.down(LAYER, exc)
        return 0


def send_on_commit(
    groups: str | Iterable[str],
    message: dict[str, Any],
    *,
    layer_alias: str = DEFAULT_CHANNEL_LAYER,
) -> None:
    """After the transaction commits, send `message` to one group, or to each of several."""
    if isinstance(groups, str):
        name = groups
        transaction.on_commit(lambda: send_now(name, message, layer_alias=layer_alias))
        return
    sends = [(name, message) for name in groups]
    if sends:
        transaction.on_commit(lambda: send_many_now(sends, layer_alias=layer_alias))


def send_to_user_on_commit(user_ids: int | Iterable[int], event: dict[str, Any]) -> None:
    """After commit, send a small per-user event (realtime.events: its type names its topic)
    to every socket of one member, or of each member of a batch.

    Chat, the bell and the moderation queue all listen on `user.<id>`; each picks the topics
    it cares about. The event is checked against the vocabulary now, so a typo fails the write
    that sent it, not silently later."""
    message = user_message(event)
    if isinstance(user_ids, int):
        group = user_group(user_ids)
        transaction.on_commit(lambda: send_now(group, message))
        return
    sends = [(user_group(uid), message) for uid in dict.fromkeys(user_ids)]
    if sends:
        transaction.on_commit(lambda: send_many_now(sends, live_only=True))


def send_to_users_now(events: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Send each (user_id, event) now, each member their own event (e.g. their own
    notification), only to members with a socket open. Returns how many were sent."""
    return send_many_now(
        [(user_group(uid), user_message(event)) for uid, event in events], live_only=True
    )

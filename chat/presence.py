"""Who is in a room now: ephemeral, kept in the shared cache (Redis when REDIS_URL is set) so
every server process agrees; entries expire by themselves if a process dies."""

from __future__ import annotations

import time
from typing import Any

from config.sharedcache import shared_cache
from config.village import village


def _key(room_id: int) -> str:
    return f"chat:presence:{room_id}"


def _ttl() -> float:
    return village("CHAT_HEARTBEAT_SECONDS") * 2.5


def presence_apply(
    *, room_id: int, updates: dict[str, tuple[int, str] | None]
) -> list[dict[str, Any]]:
    """Many sockets at once (one process's joins, leaves and heartbeat refreshes for a room):
    `updates` maps a socket key to (user id, name), or None when it left. One read, one write."""
    now = time.time()
    entries: dict[str, list[Any]] = shared_cache().get(_key(room_id)) or {}
    entries = {c: e for c, e in entries.items() if e[2] > now}
    for channel, who in updates.items():
        if who is None:
            entries.pop(channel, None)
        else:
            entries[channel] = [who[0], who[1], now + _ttl()]
    shared_cache().set(_key(room_id), entries, timeout=int(_ttl()) + 60)
    members: dict[int, str] = {}
    for uid, n, _exp in entries.values():
        members[uid] = n
    return [{"id": uid, "name": n} for uid, n in sorted(members.items(), key=lambda x: x[1])]

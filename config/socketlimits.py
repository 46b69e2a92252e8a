"""How often one member may open sockets and send each kind of frame.

Counted per member in fixed windows in the shared cache, so the limits hold across every
daphne process while Redis is up; while it is away the cache's per-process copy counts
instead (config/cache.py): a per-process limit, never "refuse everything" or "allow
everything". A refusal says when to try again (`retry_after`, whole seconds).

The numbers are generous for a person (a phone that reconnects, scrolls back and types) and
small for a script: the `hello` that replays history, and `read`, which writes, are the costly
ones. `VILLAGE["SOCKET_LIMITS"]` overrides any of them.
"""

from __future__ import annotations

import time

from config.village import village
from core import metrics

from .sharedcache import count_hit

#: name -> (how many, per how many seconds), per member.
DEFAULTS: dict[str, tuple[int, int]] = {
    "connect": (30, 60),
    "hello": (30, 60),
    "read": (60, 60),
    "typing": (40, 60),
    "edit": (30, 60),
    "delete": (30, 60),
    "react": (60, 60),
    "pin": (20, 60),
    "slow_mode": (10, 60),
}

def limit_for(name: str) -> tuple[int, int] | None:
    overrides = village("SOCKET_LIMITS")
    return overrides.get(name, DEFAULTS.get(name))


def hit(name: str, user_id: int) -> int | None:
    """Count one `name` for the member: None if allowed, else seconds until it will be."""
    limit = limit_for(name)
    if limit is None:
        return None
    count, seconds = limit
    now = time.time()
    window = int(now // seconds)
    if count_hit(f"sock:{name}:{user_id}:{window}", seconds + 1) <= count:
        return None
    metrics.refused(f"socket_{name}")
    return max(1, int(seconds - (now % seconds)) + 1)

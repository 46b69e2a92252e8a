"""Tell the logs about an outage once, not once per request.

Redis is an accelerator: when it goes away, Village carries on (the cache falls back to a
per-process copy, the channel layers to the database, the job queue to the periodic sweeps)
and every place that notices says so through `down()`. The first notice of an outage is
logged at WARNING with the error; later ones only count, and a summary line follows at most
once a minute while it lasts. `up()` logs the recovery once, with how long it took.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("village.outage")

SUMMARY_SECONDS = 60.0


@dataclass
class _State:
    since: float
    last_summary: float
    count: int = 1


_lock = threading.Lock()
_down: dict[str, _State] = {}


def down(component: str, exc: BaseException | None = None) -> bool:
    """Record that `component` failed; True if this starts a new outage (it was logged)."""
    now = time.monotonic()
    with _lock:
        state = _down.get(component)
        if state is None:
            _down[component] = _State(since=now, last_summary=now)
            first = True
        else:
            state.count += 1
            first = False
            summary = now - state.last_summary >= SUMMARY_SECONDS
            if summary:
                state.last_summary = now
                count, since = state.count, state.since
    if first:
        log.warning(
            "%s is unreachable (%s); carrying on without it",
            component,
            type(exc).__name__ if exc is not None else "error",
        )
    elif summary:
        log.warning(
            "%s still unreachable after %.0f s (%d failures)", component, now - since, count
        )
    return first


def up(component: str) -> bool:
    """Record that `component` answers; True if this ends an outage (it was logged)."""
    if component not in _down:  # the common case: no lock
        return False
    with _lock:
        state = _down.pop(component, None)
    if state is None:
        return False
    log.warning(
        "%s is back after %.0f s (%d failures)",
        component,
        time.monotonic() - state.since,
        state.count,
    )
    return True


def is_down(component: str) -> bool:
    return component in _down


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _down.clear()

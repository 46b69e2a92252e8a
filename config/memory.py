"""Give memory back after a burst of connections.

A reconnect storm (a network blip, a deploy: every phone reconnects at once) allocates a lot
that lives only for the handshake and the first resume: sessions, ORM rows, resume frames. With
the start-up GC tuning (config/asgi.py: a high young-generation threshold) much of it waits for
the next collection, and glibc's allocator keeps the freed heap for reuse instead of returning
it. The process then stays at its storm-time size although it holds the same sockets as before.

`note_connect()` counts new sockets; `settle()`, called every couple of seconds by the chat
hub's maintenance, runs one full collection and `malloc_trim(0)` once a burst of at least
`BURST` connects is over (none for `QUIET_SECONDS`). It never runs during a storm, and at most
once per burst, so its short pause is paid when nobody is connecting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import time

log = logging.getLogger(__name__)

BURST = 200
QUIET_SECONDS = 3.0

_connects = 0
_last_connect = 0.0
_trim = None


def _malloc_trim():
    global _trim
    if _trim is None:
        _trim = False
        name = ctypes.util.find_library("c")
        if name:
            try:
                fn = ctypes.CDLL(name).malloc_trim
                fn.argtypes = [ctypes.c_size_t]
                fn.restype = ctypes.c_int
                _trim = fn
            except (OSError, AttributeError):  # not glibc: collecting is all we can do
                _trim = False
    return _trim or None


def note_connect() -> None:
    global _connects, _last_connect
    _connects += 1
    _last_connect = time.monotonic()


def settle(now: float | None = None) -> bool:
    """After a burst of connects has died down: collect and trim once. True if it did."""
    global _connects
    if os.environ.get("VILLAGE_MEMORY_SETTLE", "1") == "0":
        return False
    now = time.monotonic() if now is None else now
    if _connects < BURST or now - _last_connect < QUIET_SECONDS:
        return False
    _connects = 0
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    return True

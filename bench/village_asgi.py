"""Village's ASGI app, optionally with start-up GC tuning (BENCH_GC=freeze) to measure it."""

import gc
import os

from config.asgi import application  # noqa: F401

if os.environ.get("BENCH_GC") == "freeze":
    # Everything imported so far is long-lived: move it out of the collector's way, and
    # collect the young generation less often (fewer, cheaper pauses).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

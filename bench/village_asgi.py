"""Village's ASGI app for the benchmark. config.asgi tunes the garbage collector at start-up;
VILLAGE_GC_TUNING=0 (the `village_1x_no_gc_tuning` row) measures it without."""

from config.asgi import application  # noqa: F401

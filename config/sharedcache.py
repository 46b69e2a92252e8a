"""One cache client per process, for code that runs on websocket worker threads.

`django.core.cache.cache` is kept per async context: under Channels every socket's task gets
its own client, with its own Redis connection pool, the first time it touches the cache
(building one costs milliseconds: redis-py reads its package metadata for each new
connection). Code on the chat's hot paths uses `shared_cache()` instead: one client per
process, used from any thread (redis-py's pools and LocMemCache are thread-safe). It reads the
same storage as `cache`; a test that overrides CACHES gets a fresh client.
"""

from __future__ import annotations

import threading

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.signals import setting_changed

from realtime import reachins

from .cache import REDIS_DOWN

_client: BaseCache | None = None
_redis: object | None = None
_lock = threading.Lock()


def shared_cache() -> BaseCache:
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = caches.create_connection(DEFAULT_CACHE_ALIAS)
            client = _client
    return client


def shared_redis():
    """The shared cache's own redis-py client (one per process, thread-safe), for hot paths
    that pipeline several commands; None when the cache is not Redis. Django's backend builds a
    new client object on every call (tens of microseconds); this keeps one. Keys must be made
    with `shared_cache().make_and_validate_key`.

    None too while the cache is degraded (Redis failed a moment ago: config/cache.py); a
    caller whose raw command fails should tell the cache, `cache_failed(exc, keys)`, and use
    the cache's own methods (which then serve the per-process copy)."""
    global _redis
    if getattr(shared_cache(), "degraded", False):
        return None
    client = _redis
    if client is None:
        with _lock:
            if _redis is None:
                _redis = reachins.cache_redis_client(shared_cache())
            client = _redis
    return client


def cache_degraded() -> bool:
    """Is the shared cache serving a per-process copy because Redis is away?"""
    return bool(getattr(shared_cache(), "degraded", False))


def cache_failed(exc: BaseException, keys=()) -> None:
    """A raw Redis command of the shared cache's client failed (see `shared_redis`)."""
    mark = getattr(shared_cache(), "mark_failed", None)
    if mark is not None:
        mark(exc, keys)


def count_hit(key: str, timeout: int) -> int:
    """Add one to a counter in the shared cache that lives `timeout` seconds; its new value.

    On Redis this is one round trip (SET NX EX and INCR in a pipeline); elsewhere, and while
    Redis is away (then the count is this process's own), add + incr.
    """
    cache = shared_cache()
    redis = shared_redis()
    if redis is not None:
        raw = cache.make_and_validate_key(key)
        pipe = redis.pipeline(transaction=False)
        pipe.set(raw, 0, ex=timeout, nx=True)
        pipe.incr(raw)
        try:
            return int(pipe.execute()[1])
        except REDIS_DOWN as exc:
            cache_failed(exc, (key,))
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _forget(*, setting: str, **kwargs) -> None:
    global _client, _redis
    if setting == "CACHES":
        _client = None
        _redis = None


setting_changed.connect(_forget, dispatch_uid="village-shared-cache")

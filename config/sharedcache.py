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
    with `shared_cache().make_and_validate_key`."""
    global _redis
    client = _redis
    if client is None:
        backend = getattr(shared_cache(), "_cache", None)
        if not hasattr(backend, "get_client"):  # django.core.cache.backends.redis.RedisCache
            return None
        with _lock:
            if _redis is None:
                _redis = backend.get_client(write=True)
            client = _redis
    return client


def _forget(*, setting: str, **kwargs) -> None:
    global _client, _redis
    if setting == "CACHES":
        _client = None
        _redis = None


setting_changed.connect(_forget, dispatch_uid="village-shared-cache")

"""The Redis cache, failing soft: Redis is an accelerator, PostgreSQL is the truth.

`ResilientRedisCache` is Django's `RedisCache` that carries on when Redis is unreachable:

- every operation that cannot reach Redis is served by a per-process copy instead (a
  `LocMemCache`, one per process and cache location, shared by every thread and socket), so
  pages render, rate limits become per-process limits (never "refuse everything" or "allow
  everything"), and the failure is logged once per outage (`config.outage`), not per request;
- after a failure Redis is left alone for `RETRY_SECONDS` (no connect timeout per request),
  then tried again by the next operation;
- `degraded` says whether the cache is running on the copy; callers whose correctness needs
  the *shared* value (the access stamps in groups/permissions.py) treat that as "unknown";
- every key written during the outage is remembered, and deleted from Redis once it answers
  again, so no value that changed meanwhile (an access stamp, a cached flag) is read back
  stale from before the outage: a deleted cache key is always safe.

Only connection problems fall back; anything else (a bad value, a programming error) raises
as it would with Django's backend.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.metrics import CACHE_SECONDS

from . import outage

_BY_REDIS = CACHE_SECONDS.labels(answered_by="redis")
_BY_FALLBACK = CACHE_SECONDS.labels(answered_by="fallback")

#: How long Redis is left alone after a failure before the next operation tries it again.
RETRY_SECONDS = 2.0
#: At most this many keys written during an outage are remembered (then a warning).
MAX_DIRTY_KEYS = 50_000

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)
COMPONENT = "Redis (cache)"


@dataclass
class _Fallback:
    local: LocMemCache
    retry_at: float = 0.0
    dirty: set[str] = field(default_factory=set)
    overflowed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_fallbacks: dict[str, _Fallback] = {}
_fallbacks_lock = threading.Lock()


def _fallback_for(name: str, params: dict) -> _Fallback:
    fb = _fallbacks.get(name)
    if fb is None:
        with _fallbacks_lock:
            fb = _fallbacks.get(name)
            if fb is None:
                local_params = {
                    k: v for k, v in params.items() if k in ("TIMEOUT", "KEY_PREFIX", "VERSION")
                }
                local_params["OPTIONS"] = {"MAX_ENTRIES": 100_000}
                fb = _fallbacks[name] = _Fallback(
                    local=LocMemCache(f"village-{name}", local_params)
                )
    return fb


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        name = f"{server}|{params.get('KEY_PREFIX', '')}"
        self._fb = _fallback_for(name, params)

    # --- state ------------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while Redis is being left alone after a failure (values are per-process)."""
        return time.monotonic() < self._fb.retry_at

    def mark_failed(self, exc: BaseException | None = None, keys=()) -> None:
        """Redis failed (here, or in a caller using the raw client): serve locally for a while
        and remember `keys` (user-level cache keys) as written during the outage."""
        fb = self._fb
        fb.retry_at = time.monotonic() + RETRY_SECONDS
        outage.down(COMPONENT, exc)
        if keys:
            with fb.lock:
                if len(fb.dirty) < MAX_DIRTY_KEYS:
                    fb.dirty.update(keys)
                elif not fb.overflowed:
                    fb.overflowed = True
                    outage.log.warning("cache: too many keys written during the outage to track")

    def _answered(self) -> None:
        fb = self._fb
        if not fb.dirty and not outage.is_down(COMPONENT):
            return
        with fb.lock:
            dirty, fb.dirty, fb.overflowed = list(fb.dirty), set(), False
        if dirty:
            try:
                for i in range(0, len(dirty), 1000):
                    super().delete_many(dirty[i : i + 1000])
            except REDIS_DOWN as exc:
                with fb.lock:
                    fb.dirty.update(dirty)
                self.mark_failed(exc)
                return
        fb.local.clear()
        outage.up(COMPONENT)

    def _do(self, op: str, written, *args, **kwargs):
        start = time.perf_counter()
        if not self.degraded:
            try:
                result = getattr(super(), op)(*args, **kwargs)
            except REDIS_DOWN as exc:
                self.mark_failed(exc, written)
            else:
                _BY_REDIS.observe(time.perf_counter() - start)
                self._answered()
                return result
        elif written:
            self.mark_failed(None, written)
        result = getattr(self._fb.local, op)(*args, **kwargs)
        _BY_FALLBACK.observe(time.perf_counter() - start)
        return result

    # --- the cache API ------------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._do("add", (key,), key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._do("get", (), key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._do("set", (key,), key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._do("touch", (key,), key, timeout, version)

    def delete(self, key, version=None):
        return self._do("delete", (key,), key, version)

    def get_many(self, keys, version=None):
        return self._do("get_many", (), keys, version)

    def has_key(self, key, version=None):
        return self._do("has_key", (), key, version)

    def incr(self, key, delta=1, version=None):
        return self._do("incr", (key,), key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._do("set_many", tuple(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._do("delete_many", tuple(keys), keys, version)

    def clear(self):
        return self._do("clear", ())


def forget_all() -> None:
    """Drop every per-process copy and outage state (tests)."""
    with _fallbacks_lock:
        _fallbacks.clear()

"""Every place Village reaches into a library's private parts, in one module.

Each is a small function here, so an upgrade that changes one breaks in one known place, and
`tests/realtime/test_reachins.py` checks each against the installed versions: if a private
name goes away, that test fails loudly instead of Village quietly falling back to the slower
path (every caller keeps a fallback for other backends).

Outside this module, by necessity: `accounts.adapter.AccountAdapter._get_login_attempts_cache_key`
overrides an allauth method (there is no public hook for the failed-login key); the test checks
it too.
"""

from __future__ import annotations

from typing import Any

#: channels_redis' RedisChannelLayer internals used to ask "is anyone in this group?".
LAYER_NAMES = ("_group_key", "consistent_hash", "connection", "group_expiry")


def layer_can_count_members(layer: Any) -> bool:
    """Does `layer` look like channels_redis' RedisChannelLayer (core, not pub/sub)?"""
    return all(hasattr(layer, name) for name in LAYER_NAMES)


def layer_group_key(layer: Any, group: str) -> bytes:
    """The Redis key of a group's sorted set of channels (RedisChannelLayer._group_key)."""
    return layer._group_key(group)


def transport_use_backend(transport: Any, network_backend: Any) -> Any:
    """Put httpx's own transport (`httpx.HTTPTransport`) on another httpcore network backend:
    httpx has no parameter for it, so the transport's connection pool
    (`transport._pool._network_backend`) gets it (directory/fetch.py: where a feed may
    connect). Returns the transport."""
    pool = getattr(transport, "_pool", None)
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx's transport changed: its pool has no _network_backend")
    pool._network_backend = network_backend
    return transport


def cache_redis_client(cache: Any):
    """The redis-py client behind Django's own RedisCache (`cache._cache.get_client`), or
    None for any other cache backend."""
    backend = getattr(cache, "_cache", None)
    if not hasattr(backend, "get_client"):
        return None
    return backend.get_client(write=True)

"""The private library parts Village relies on still exist in the installed versions
(realtime/reachins.py). Each caller falls back quietly when one is missing, which is right
for another backend and wrong after an upgrade: this test is what notices."""

import inspect

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from channels.consumer import AsyncConsumer
from channels_redis.core import RedisChannelLayer
from django.core.cache.backends.redis import RedisCache
from django.db.backends.base.base import BaseDatabaseWrapper

from realtime import reachins


def test_channels_redis_still_has_what_the_live_only_sender_uses():
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:6379/15"])
    assert reachins.layer_can_count_members(layer)
    key = reachins.layer_group_key(layer, "user.1")
    assert key.endswith(b"user.1")


def test_djangos_redis_cache_still_hands_out_its_client():
    cache = RedisCache("redis://127.0.0.1:6379/15", {})
    client = reachins.cache_redis_client(cache)
    assert hasattr(client, "pipeline")


def test_another_cache_backend_gets_none():
    from django.core.cache.backends.locmem import LocMemCache

    assert reachins.cache_redis_client(LocMemCache("x", {})) is None


def test_database_connections_still_say_when_they_should_close():
    # chat.fanout._tidy_connections reads `close_at` (Django's close_if_unusable_or_obsolete
    # sets it); a rename would make every socket's connection live forever.
    assert "close_at" in inspect.getsource(BaseDatabaseWrapper.__init__)


def test_allauth_still_has_the_failed_login_key_village_overrides():
    assert hasattr(DefaultAccountAdapter, "_get_login_attempts_cache_key")


@pytest.mark.parametrize("name", ["get_handler_name", "aclose_old_connections"])
def test_channels_dispatch_is_still_what_realtime_consumers_mirrors(name):
    # realtime.consumers.NoDatabaseHopPerFrame replaces AsyncConsumer.dispatch without the
    # per-frame hop; if Channels' dispatch starts doing more, the mirror must follow.
    assert name in inspect.getsource(AsyncConsumer.dispatch)


def test_httpx_transport_still_takes_another_network_backend():
    import httpcore
    import httpx

    backend = httpcore.SyncBackend()
    transport = reachins.transport_use_backend(httpx.HTTPTransport(), backend)
    assert transport._pool._network_backend is backend

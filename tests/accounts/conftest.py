import copy
import uuid

import pytest


def private_cache(settings) -> None:
    """Give this test a key space of its own in the configured cache (Redis under CI), so
    allauth's rate limits and cooldowns start clean. Never `cache.clear()`: on the Redis cache
    that is FLUSHDB of the whole shared database."""
    caches = copy.deepcopy(settings.CACHES)
    default = caches["default"]
    tag = uuid.uuid4().hex[:12]
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-test-{tag}"
    if default["BACKEND"].endswith("LocMemCache"):
        default["LOCATION"] = f"test-{tag}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    private_cache(settings)

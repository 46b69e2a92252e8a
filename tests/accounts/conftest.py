import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth keeps rate limits and cooldowns in the cache; each test starts clean."""
    cache.clear()
    yield
    cache.clear()

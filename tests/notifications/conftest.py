import pytest
from asgiref.sync import sync_to_async
from django.db import connections


@pytest.fixture
async def close_db_after():
    """Async tests touch the database from asgiref's worker thread; close that thread's
    connection afterwards so PostgreSQL can drop the test database."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer instance, so a layer another test broke or
    filled can't leak into these."""
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits count per member id, and ids come round again after a rollback: start each
    test with nothing counted (the subscription tests post many times)."""
    from django.core.cache import caches

    caches["default"].clear()
    yield

import pytest
from asgiref.sync import sync_to_async
from django.db import connections


@pytest.fixture
async def close_db_after():
    """Async tests touch the database from asgiref's worker thread; close that thread's
    connection afterwards so PostgreSQL can drop the test database."""
    yield
    await sync_to_async(connections.close_all)()

import pytest

from .feedserver import FeedServer


@pytest.fixture
def loopback_feeds(settings):
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": True}
    return settings


@pytest.fixture
def feed_server(loopback_feeds):
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed(db, feed_server):
    from directory.models import Feed

    return Feed.objects.create(name="Dudley family hubs", base_url=feed_server.url)

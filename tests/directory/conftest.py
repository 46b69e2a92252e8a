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


def make_service(name="Family Hub", *, feed=None, group=None, terms=(), byday="MO,TU,WE,TH,FR",
                 opens="09:00", closes="17:00", min_age=None, max_age=None, lat=None, lng=None,
                 phone="01384 812345", sharing="group", description="", email="hub@example.org"):
    import datetime

    from directory.models import Feed, Location, Phone, Schedule, Service, TaxonomyTerm

    if feed is None and group is None:
        feed = Feed.objects.get_or_create(name="Test feed", base_url="https://example.org/api")[0]
    service = Service.objects.create(
        name=name, feed=feed, group=group, oruk_id=name if feed else "", sharing=sharing,
        minimum_age=min_age, maximum_age=max_age, description=description, email=email,
        url="https://example.org/s",
    )
    if byday:
        Schedule.objects.create(
            service=service, freq="WEEKLY", byday=byday,
            opens_at=datetime.time.fromisoformat(opens),
            closes_at=datetime.time.fromisoformat(closes),
        )
    Location.objects.create(service=service, name=f"{name} hall", latitude=lat, longitude=lng)
    if phone:
        Phone.objects.create(service=service, number=phone)
    for term in terms:
        found, _ = TaxonomyTerm.objects.get_or_create(
            taxonomy="t", oruk_id=term, defaults={"term": term}
        )
        service.taxonomy_terms.add(found)
    return service

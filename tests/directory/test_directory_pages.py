"""The directory page for members: search, filters, open now across a clock change."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from directory.selectors import Filters, service_search
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import make_service

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def member(client):
    user = UserFactory()
    client.force_login(user)
    return user


def names(qs):
    return sorted(s.name for s in qs)


def test_the_directory_needs_an_account(client, db):
    response = client.get(reverse("directory:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_search_words_and_filters(member):
    make_service("Stourbridge Food Bank", terms=["Food"], description="Emergency food parcels")
    make_service("Brierley Hill Family Hub", terms=["Family support"], min_age=0, max_age=5)
    make_service("Teen Space", terms=["Family support"], min_age=11, max_age=18, byday="SA")
    now = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
    search = lambda **kw: names(service_search(user=member, filters=Filters(**kw), now=now))  # noqa: E731
    assert search(q="food") == ["Stourbridge Food Bank"]
    assert search(q="parcels") == ["Stourbridge Food Bank"]
    assert search(q="family hub") == ["Brierley Hill Family Hub"]
    from directory.models import TaxonomyTerm

    family = TaxonomyTerm.objects.get(term="Family support")
    assert search(need=family.pk) == ["Brierley Hill Family Hub", "Teen Space"]
    assert search(age=3) == ["Brierley Hill Family Hub", "Stourbridge Food Bank"]
    assert search(age=14) == ["Stourbridge Food Bank", "Teen Space"]
    assert search(day="SA") == ["Teen Space"]
    assert search(open_now=True) == ["Brierley Hill Family Hub", "Stourbridge Food Bank"]
    assert search(need=family.pk, age=3, open_now=True) == ["Brierley Hill Family Hub"]


def test_open_now_follows_the_uk_clock_across_the_spring_change(member):
    # Sunday 29 March 2026, 01:00 UTC: UK clocks go forward to BST.
    make_service("Sunday Breakfast Club", byday="SU,MO", opens="10:00", closes="12:00")

    def open_at(moment):
        qs = service_search(user=member, filters=Filters(open_now=True), now=moment)
        return names(qs) == ["Sunday Breakfast Club"]

    # Sunday 22 March, 09:30 UTC is 09:30 GMT: not open yet.
    assert not open_at(datetime.datetime(2026, 3, 22, 9, 30, tzinfo=UTC))
    # Sunday 29 March, 09:30 UTC is 10:30 BST: open (a UTC-only check would say closed).
    assert open_at(datetime.datetime(2026, 3, 29, 9, 30, tzinfo=UTC))
    # 11:30 UTC on 29 March is 12:30 BST: closed again.
    assert not open_at(datetime.datetime(2026, 3, 29, 11, 30, tzinfo=UTC))
    # Autumn: Sunday 25 October 2026, 10:30 UTC is 10:30 GMT: open; a week before, 11:30 BST.
    assert open_at(datetime.datetime(2026, 10, 25, 10, 30, tzinfo=UTC))
    assert not open_at(datetime.datetime(2026, 10, 18, 11, 30, tzinfo=UTC))


def test_the_page_shows_open_now_across_the_clock_change(client, member):
    make_service("Sunday Breakfast Club", byday="SU", opens="10:00", closes="12:00")
    with time_machine.travel(datetime.datetime(2026, 3, 29, 9, 30, tzinfo=UTC), tick=False):
        page = client.get(reverse("directory:index"), {"open_now": "on"}).content.decode()
    assert "Sunday Breakfast Club" in page and "Open now" in page


def test_the_page_query_count_is_constant(client, member, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        make_service(f"Hub {i}", terms=["Family support"], lat=52.4, lng=-2.1)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False):
        with CaptureQueriesContext(connection) as few:
            first = client.get(
                reverse("directory:index"), {"q": "hub", "age": "3", "open_now": "on"}
            )
        for i in range(3, 12):
            make_service(f"Hub {i}", terms=["Family support", f"Extra {i}"], lat=52.4, lng=-2.1)
        with django_assert_num_queries(len(few)):
            second = client.get(reverse("directory:index"),
                                {"q": "hub", "age": "3", "open_now": "on"})
    assert first.content.decode().count("help-card__name") == 3
    assert second.content.decode().count("help-card__name") == 12
    assert len(few) <= 14  # session, user, memberships, needs, count, rows and 5 prefetches


def test_bad_filter_input_is_kindly_refused_and_kept(client, member):
    make_service("Brierley Hill Family Hub", min_age=0, max_age=5)
    response = client.get(reverse("directory:index"), {"q": "hub", "age": "three"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please give the age as a number" in page
    assert 'value="hub"' in page and 'value="three"' in page
    assert "Brierley Hill Family Hub" in page  # the good filters still apply


def test_service_page_shows_what_who_when_call_cost_and_checked(client, member):
    from directory.models import CostOption, Language

    service = make_service("Brierley Hill Family Hub", min_age=0, max_age=5,
                           description="Drop-in help for families.")
    service.assured_date = datetime.date(2026, 10, 1)
    service.save()
    CostOption.objects.create(service=service, amount=0, amount_description="Free")
    Language.objects.create(service=service, name="Punjabi")
    page = client.get(reverse("directory:service", args=[service.uuid])).content.decode()
    assert "Drop-in help for families." in page
    assert "Children up to 5 years old" in page
    assert "Mon–Fri 09:00–17:00" in page
    assert 'href="tel:01384812345"' in page
    assert "Free" in page and "Punjabi" in page
    assert "Information last checked on 1 October 2026" in page


def test_inactive_services_are_not_shown(client, member):
    service = make_service("Closed Hub")
    service.is_active = False
    service.save()
    assert "Closed Hub" not in client.get(reverse("directory:index")).content.decode()
    assert client.get(reverse("directory:service", args=[service.uuid])).status_code == 404


def test_services_with_coordinates_carry_them_for_the_near_me_sort(client, member):
    make_service("Near Hub", lat=52.48, lng=-2.12)
    make_service("Nowhere Hub")
    page = client.get(reverse("directory:index")).content.decode()
    assert 'data-lat="52.480000" data-lng="-2.120000"' in page
    assert page.count("data-lat=") == 1
    assert "data-near-me" in page and "nearme.js" in page


def test_nearest_first_sorts_every_result_not_only_the_first_page(client, member):
    """The sort runs in the browser (the location stays on the phone), so with more than one
    page the button first asks for every result on one page; the search goes, the place not."""
    for i in range(25):
        make_service(f"Hub {i:02d}", lat=52.0 + i / 100, lng=-2.0)
    first = client.get(reverse("directory:index"), {"q": "hub"}).content.decode()
    assert first.count("data-lat=") == 20
    assert 'data-near-me-all="?q=hub&amp;nearest=1"' in first
    every = client.get(reverse("directory:index"), {"q": "hub", "nearest": "1"}).content.decode()
    assert every.count("data-lat=") == 25
    assert "data-near-me-now" in every and "data-near-me-all" not in every


def test_local_entries_are_seen_by_their_group_until_shared(client, db):
    group, other = GroupFactory(), GroupFactory()
    mine = MembershipFactory(group=group).user
    theirs = MembershipFactory(group=other).user
    entry = make_service("Tuesday Health Visitor Drop-in", group=group, sharing="group")
    url = reverse("directory:service", args=[entry.uuid])
    client.force_login(mine)
    assert client.get(url).status_code == 200
    client.force_login(theirs)
    assert client.get(url).status_code == 404
    assert "Health Visitor" not in client.get(reverse("directory:index")).content.decode()
    entry.sharing = "everyone"
    entry.save()
    assert client.get(url).status_code == 200


@pytest.mark.postgres
def test_full_text_search_on_postgresql(member):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite uses the simple word match)")
    make_service("Stourbridge Food Bank", description="Emergency food parcels for families")
    make_service("Brierley Hill Family Hub", description="Help with sleeping and feeding")
    now = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def search(q):
        return [s.name for s in service_search(user=member, filters=Filters(q=q), now=now)]

    assert search("parcel") == ["Stourbridge Food Bank"]  # stemmed: parcels
    assert search("sleep") == ["Brierley Hill Family Hub"]  # stemmed: sleeping
    assert search("families food") == ["Stourbridge Food Bank"]
    assert search('"food bank" -hub') == ["Stourbridge Food Bank"]  # websearch syntax


def test_the_service_page_query_count_is_constant(client, member, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from directory.models import Language, Phone

    few = make_service("Hub", terms=["A"])
    many = make_service("Big hub", terms=["A", "B", "C"])
    for i in range(4):
        Phone.objects.create(service=many, number=f"01384 00010{i}")
        Language.objects.create(service=many, name=f"Language {i}")
    with CaptureQueriesContext(connection) as counted:
        assert client.get(reverse("directory:service", args=[few.uuid])).status_code == 200
    with django_assert_num_queries(len(counted)):
        assert client.get(reverse("directory:service", args=[many.uuid])).status_code == 200

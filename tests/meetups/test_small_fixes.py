"""Small things a week of real use found (issue 17): plurals, the next meetup, the empty
register."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from meetups import services
from meetups.models import Occurrence

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a Sunday; London is on GMT


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def _series(group, fac, **kw):
    return services.series_create(
        group=group, by=fac, title="Tuesday evening chat", first_date=dt.date(2026, 3, 3),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"), **kw,
    )  # fmt: skip


def url(name, group, occ=None):
    kwargs = {"slug": group.slug}
    if occ is not None:
        kwargs["pk"] = occ.pk
    return reverse(f"meetups:{name}", kwargs=kwargs)


@pytest.mark.parametrize(("places", "words"), [
    (1, "There is 1 place."),
    (2, "There are 2 places."),
])  # fmt: skip
def test_places_are_counted_in_proper_english(client, london_group, fac, member, clock, places,
                                              words):  # fmt: skip
    series = _series(london_group, fac, capacity=places)
    occ = series.occurrences.order_by("starts_at").first()
    client.force_login(member)
    page = client.get(url("occurrence", london_group, occ)).content.decode()
    assert words in page
    assert "There are 1 places" not in page


@pytest.mark.parametrize(("weeks", "words"), [
    (1, "Saved. 1 coming week now follows the change;"),
    (2, "Saved. 2 coming weeks now follow the change;"),
])  # fmt: skip
def test_series_edit_counts_weeks_in_proper_english(client, london_group, fac, clock, weeks, words):
    series = _series(london_group, fac, ends_on=dt.date(2026, 3, 3) + dt.timedelta(weeks=weeks - 1))
    assert series.occurrences.count() == weeks
    client.force_login(fac)
    path = reverse(
        "meetups:series_edit", kwargs={"slug": london_group.slug, "series_pk": series.pk}
    )
    data = {
        "title": "Tuesday evening chat", "start_time": "19:00", "duration_minutes": "90",
        "venue_name": "Library", "reminders_24h": "on", "reminders_2h": "on",
    }  # fmt: skip
    page = client.post(path, data, follow=True).content.decode()
    assert words in page


def _next_card(html: str) -> str:
    match = re.search(r'<section class="card card--warm next-meetup".*?</section>', html, re.S)
    assert match, "the group page has a next-meetup card"
    return match.group(0)


def test_meetup_with_a_closed_register_is_not_next(client, london_group, fac, member):
    with time_machine.travel(NOW, tick=False) as clock:
        series = _series(london_group, fac)
        first, second = list(series.occurrences.order_by("starts_at")[:2])
        clock.move_to(first.starts_at + dt.timedelta(minutes=30))  # in progress
        client.force_login(member)
        card = _next_card(client.get(f"/groups/{london_group.slug}/").content.decode())
        assert url("occurrence", london_group, first) in card  # still going, register open
        services.register_close(occurrence=first, by=fac)
        card = _next_card(client.get(f"/groups/{london_group.slug}/").content.decode())
        assert url("occurrence", london_group, first) not in card
        assert url("rsvp", london_group, first) not in card
        assert url("occurrence", london_group, second) in card
        clock.move_to(first.ends_at + dt.timedelta(minutes=1))
        services.register_reopen(occurrence=first, by=fac)
        card = _next_card(client.get(f"/groups/{london_group.slug}/").content.decode())
        assert url("occurrence", london_group, first) not in card  # it has ended
        assert url("occurrence", london_group, second) in card


NOBODY = "Register closed. Nobody was marked, so no &#x27;we missed you&#x27; messages were sent."


def test_closing_an_empty_register_says_nobody_was_told(client, london_group, fac, member):
    with time_machine.travel(NOW, tick=False) as clock:
        occ = _series(london_group, fac).occurrences.order_by("starts_at").first()
        clock.move_to(occ.starts_at + dt.timedelta(minutes=80))
        client.force_login(fac)
        page = client.post(url("register_close", london_group, occ), follow=True).content.decode()
    assert NOBODY in page
    assert Occurrence.objects.get(pk=occ.pk).register_closed


def test_closing_a_register_with_people_thanks_the_facilitator(client, london_group, fac, member):
    with time_machine.travel(NOW, tick=False) as clock:
        occ = _series(london_group, fac).occurrences.order_by("starts_at").first()
        clock.move_to(occ.starts_at + dt.timedelta(minutes=80))
        services.attendance_mark(occurrence=occ, user_ids=[member.pk], by=fac)
        client.force_login(fac)
        page = client.post(url("register_close", london_group, occ), follow=True).content.decode()
    assert "Register closed. Thank you for running the group." in page
    assert "Nobody was marked" not in page

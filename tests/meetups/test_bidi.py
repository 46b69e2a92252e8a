"""Bidi controls in what members type (titles, venues, notes, names) stay inside isolating
elements on meetup pages, as in chat: names and titles in <bdi>, blocks of text dir=auto."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from meetups import services
from tests.factories import MembershipFactory

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
EVIL = "\u202eevil"  # right-to-left override: flips everything after it unless isolated


@pytest.fixture
def occ(london_group, fac):
    with time_machine.travel(NOW, tick=False):
        series = services.series_create(
            group=london_group, by=fac, title=EVIL + " title", first_date=dt.date(2026, 3, 3),
            start_time=dt.time(19, 0), place=services.Place(venue_name=EVIL + " venue"),
        )  # fmt: skip
        occ = series.occurrences.order_by("starts_at").first()
        services.occurrence_set_note(occurrence=occ, by=fac, note=EVIL + " note")
        yield occ


def test_the_meetup_list_isolates_titles_venues_and_notes(client, london_group, member, occ):
    client.force_login(member)
    html = client.get(reverse("meetups:list", kwargs={"slug": london_group.slug})).content.decode()
    assert f"<bdi>{EVIL} title</bdi>" in html
    assert f"<bdi>{EVIL} venue</bdi>" in html
    assert f"<bdi>{EVIL} note</bdi>" in html


def test_the_meetup_page_isolates_titles_venues_and_notes(client, london_group, member, occ):
    client.force_login(member)
    page = reverse("meetups:occurrence", kwargs={"slug": london_group.slug, "pk": occ.pk})
    html = client.get(page).content.decode()
    assert f"<bdi>{EVIL} title</bdi>" in html
    assert f"<bdi>{EVIL} venue</bdi>" in html
    assert f"<bdi>{EVIL} note</bdi>" in html


def test_the_register_isolates_names(client, london_group, fac, occ):
    MembershipFactory(group=london_group, user__display_name=EVIL + " name")
    client.force_login(fac)
    with time_machine.travel(occ.starts_at + dt.timedelta(minutes=5), tick=False):
        services.walk_in_add(occurrence=occ, name=EVIL + " walkin", by=fac)
        page = reverse("meetups:register", kwargs={"slug": london_group.slug, "pk": occ.pk})
        html = client.get(page).content.decode()
    assert f'<bdi class="register__name">{EVIL} name</bdi>' in html
    assert f'<bdi class="register__name">{EVIL} walkin</bdi>' in html

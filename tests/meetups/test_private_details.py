"""Meetup notes ask "Save anyway?" before a note with personal details goes to the group."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from groups.models import Group
from meetups import services
from meetups.models import Occurrence

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
NOTE = "Any problems, ring me on 07911 123456"


@pytest.fixture
def occ(london_group, fac):
    with time_machine.travel(NOW, tick=False):
        series = services.series_create(
            group=london_group, by=fac, title="Tuesday chat", first_date=dt.date(2026, 3, 3),
            start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"),
        )  # fmt: skip
        yield series.occurrences.order_by("starts_at").first()


def _post(client, group, occ, **data):
    url = reverse("meetups:change", kwargs={"slug": group.slug, "pk": occ.pk})
    return client.post(url, {"what": "note", "personal_line": "", **data})


def test_a_note_with_a_phone_number_is_asked_about_first(client, london_group, fac, occ):
    client.force_login(fac)
    with time_machine.travel(NOW, tick=False):
        r = _post(client, london_group, occ, note=NOTE)
        html = r.content.decode()
        assert r.status_code == 200
        assert "These notes include a phone number. Everyone in the group will see them." in html
        assert NOTE in html  # what was typed is kept
        assert Occurrence.objects.get(pk=occ.pk).note == ""
        r = _post(client, london_group, occ, note=NOTE, private_ok="yes")
        assert r.status_code == 302
    assert Occurrence.objects.get(pk=occ.pk).note == NOTE


def test_an_ordinary_note_and_a_group_with_the_check_off(client, london_group, fac, occ):
    client.force_login(fac)
    with time_machine.travel(NOW, tick=False):
        assert _post(client, london_group, occ, note="Room 101 at 19:30, £2").status_code == 302
        Group.objects.filter(pk=london_group.pk).update(private_details_check=False)
        assert _post(client, london_group, occ, note=NOTE).status_code == 302
    assert Occurrence.objects.get(pk=occ.pk).note == NOTE

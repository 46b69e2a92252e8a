"""Meetup times on the member's own clock (their profile's time zone), the zone named when it
isn't the meetup's; notifications and emails on the recipient's clock."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from meetups import services, text
from notifications.models import Notification
from tests.factories import MembershipFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def series(london_group, fac, clock):
    # Tuesdays 19:00 UK time (GMT in early March; Paris is an hour ahead).
    return services.series_create(
        group=london_group, by=fac, title="Tuesday evening chat", first_date=dt.date(2026, 3, 3),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"),
    )  # fmt: skip


@pytest.fixture
def in_paris(london_group):
    return MembershipFactory(group=london_group, user__time_zone="Europe/Paris").user


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_member_in_paris_sees_a_london_meetup_at_paris_time_with_the_zone_named(
    client, london_group, series, in_paris
):
    occ = series.occurrences.order_by("starts_at").first()
    client.force_login(in_paris)
    pages = [
        reverse("meetups:occurrence", kwargs={"slug": london_group.slug, "pk": occ.pk}),
        reverse("meetups:list", kwargs={"slug": london_group.slug}),
        reverse("groups:detail", kwargs={"slug": london_group.slug}),
    ]
    for page in pages:
        shown = _plain(client.get(page).content.decode())
        assert "Tuesday 3 March 20:00–21:30 Paris time (19:00 UK time)" in shown, page


def test_a_member_in_the_groups_zone_sees_plain_times(client, london_group, series, member):
    occ = series.occurrences.order_by("starts_at").first()
    client.force_login(member)
    page = reverse("meetups:occurrence", kwargs={"slug": london_group.slug, "pk": occ.pk})
    shown = _plain(client.get(page).content.decode())
    assert "Tuesday 3 March 19:00–20:30" in shown
    assert "UK time" not in shown and "Paris time" not in shown


def test_the_day_follows_the_members_clock(london_group, fac, clock):
    late = services.one_off_create(
        group=london_group, by=fac, title="Night owls", on=dt.date(2026, 3, 3),
        start_time=dt.time(23, 30), duration_minutes=60,
    )  # fmt: skip
    assert text.when(late, "Europe/Paris") == "Wednesday 4 March, 00:30 to 01:30 Paris time"
    assert text.when(late, "Europe/London") == "Tuesday 3 March, 23:30 to 00:30"
    # Dublin keeps the UK's clock: nothing worth naming.
    assert text.times(late, "Europe/Dublin") == "23:30–00:30"


def test_reminders_and_their_emails_are_on_each_recipients_clock(
    london_group, fac, series, in_paris, member, mailoutbox, django_capture_on_commit_callbacks
):
    occ = series.occurrences.order_by("starts_at").first()
    for who in (in_paris, member):
        services.rsvp_set(occurrence=occ, user=who, answer="going", now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_send(now=occ.starts_at - dt.timedelta(hours=23, minutes=30))
    paris = Notification.objects.get(kind="meetup_reminder", user=in_paris)
    london = Notification.objects.get(kind="meetup_reminder", user=member)
    assert "tomorrow at 20:00 Paris time" in paris.title
    assert "Tuesday 3 March, 20:00 to 21:30 Paris time" in paris.body
    assert "tomorrow at 19:00" in london.title and "time" not in london.title.split("19:00")[1]
    assert "Tuesday 3 March, 19:00 to 20:30" in london.body
    paris_mail = next(m for m in mailoutbox if m.to == [in_paris.email])
    assert "20:00 to 21:30 Paris time" in paris_mail.body


def test_a_cancellation_tells_each_member_on_their_own_clock(
    london_group, fac, series, in_paris, member
):
    occ = series.occurrences.order_by("starts_at").first()
    for who in (in_paris, member):
        services.rsvp_set(occurrence=occ, user=who, answer="going", now=NOW)
    services.occurrence_cancel(occurrence=occ, by=fac, reason="", now=NOW)
    paris = Notification.objects.get(kind="meetup_change", user=in_paris)
    london = Notification.objects.get(kind="meetup_change", user=member)
    assert paris.body.startswith("Tuesday 3 March, 20:00 to 21:30 Paris time is cancelled.")
    assert london.body.startswith("Tuesday 3 March, 19:00 to 20:30 is cancelled.")

"""Fixing a register: taking off a walk-in added by mistake, and reopening a closed register
(nudges already sent stay sent, and are never sent twice)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from meetups import services
from meetups.models import Attendance, Delivery, Occurrence
from notifications.models import Notification
from tests.factories import MembershipFactory

from .conftest import held, make_members, past_meetup

UTC = dt.UTC
WEEK0 = dt.datetime(2026, 1, 6, 19, 0, tzinfo=UTC)
WEEK1 = dt.datetime(2026, 1, 13, 19, 0, tzinfo=UTC)


def register_url(occ):
    return reverse("meetups:register", kwargs={"slug": occ.group.slug, "pk": occ.pk})


def test_walk_in_removed_through_the_plain_form_keeps_ticks(client, london_group, fac, settings):
    a, b = make_members(london_group, 2)
    occ = past_meetup(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    services.walk_in_add(occurrence=occ, name="Sam", by=fac)
    keep = services.walk_in_add(occurrence=occ, name="Jo", by=fac)
    wrong = Attendance.objects.get(walk_in_name="Sam")
    client.force_login(fac)
    page = client.get(register_url(occ)).content.decode()
    assert f'name="remove_walk_in" value="{wrong.pk}"' in page
    # ticks typed on the same form (no JavaScript) are saved too: nothing is lost
    resp = client.post(register_url(occ), {"present": [a.pk], "remove_walk_in": wrong.pk})
    assert resp.status_code == 302
    assert set(Attendance.objects.values_list("walk_in_name", "user_id")) == {
        ("Jo", None), ("", a.pk),
    }  # fmt: skip
    assert Attendance.objects.filter(pk=keep.pk).exists()


def test_walk_in_remove_refuses_members_other_meetups_and_closed_registers(london_group, fac):
    (a,) = make_members(london_group, 1)
    occ = past_meetup(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    other = past_meetup(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(days=7))
    services.attendance_mark(occurrence=occ, user_ids=[a.pk], by=fac)
    ticked = Attendance.objects.get(user=a)
    walk = services.walk_in_add(occurrence=occ, name="Sam", by=fac)
    with pytest.raises(ValidationError):  # a member is unticked, not removed as a walk-in
        services.walk_in_remove(occurrence=occ, attendance_id=ticked.pk, by=fac)
    with pytest.raises(ValidationError):  # another meetup's row
        services.walk_in_remove(occurrence=other, attendance_id=walk.pk, by=fac)
    services.register_close(occurrence=occ, by=fac)
    occ.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.walk_in_remove(occurrence=occ, attendance_id=walk.pk, by=fac)
    assert Attendance.objects.count() == 2


def test_members_cannot_remove_walk_ins_or_reopen(client, london_group, fac, member):
    occ = held(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(hours=4),
               present=[fac])  # fmt: skip
    client.force_login(member)
    reopen = reverse("meetups:register_reopen", kwargs={"slug": london_group.slug, "pk": occ.pk})
    assert client.post(reopen).status_code == 403
    occ.refresh_from_db()
    assert occ.register_closed


def test_reopen_fix_and_close_again_never_sends_twice(london_group, fac):
    regular, forgotten = make_members(london_group, 2)
    held(london_group, fac, start_utc=WEEK0, present=[regular, forgotten])
    occ = held(london_group, fac, start_utc=WEEK1, present=[fac])  # forgot to tick them
    morning = dt.datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
    assert services.nudges_send(now=morning).sent == 2

    # the facilitator notices, reopens, ticks the member who was there, closes again
    services.register_reopen(occurrence=occ, by=fac, now=morning + dt.timedelta(hours=1))
    occ.refresh_from_db()
    assert not occ.register_closed and occ.register_reopened_at
    # it isn't closed again by itself straight away ...
    assert services.registers_autoclose(now=morning + dt.timedelta(hours=2)) == 0
    services.attendance_mark(occurrence=occ, user_ids=[forgotten.pk], by=fac, now=morning)
    services.register_close(occurrence=occ, by=fac, now=morning + dt.timedelta(hours=2))
    # ... and closing it again sends nothing new: nudges already sent stay sent, once each
    assert services.nudges_send(now=morning + dt.timedelta(hours=3)).sent == 0
    assert Delivery.objects.filter(kind="nudge").count() == 2
    assert Notification.objects.filter(kind="missed_you").count() == 2


def test_reopened_register_closes_by_itself_after_a_few_hours(london_group, fac):
    occ = held(london_group, fac, start_utc=WEEK1, present=[fac])
    at = occ.ends_at + dt.timedelta(hours=5)
    services.register_reopen(occurrence=occ, by=fac, now=at)
    assert services.registers_autoclose(now=at + dt.timedelta(hours=1)) == 0
    assert services.registers_autoclose(now=at + services.AUTO_CLOSE_AFTER) == 1
    assert Occurrence.objects.get(pk=occ.pk).register_closed


def test_reopen_has_limits(london_group, fac):
    occ = held(london_group, fac, start_utc=WEEK1, present=[fac])
    with pytest.raises(ValidationError, match="more than three days"):
        services.register_reopen(occurrence=occ, by=fac, now=occ.ends_at + dt.timedelta(days=4))
    assert Occurrence.objects.get(pk=occ.pk).register_closed


def test_register_page_offers_reopen_and_says_sent_messages_stay_sent(client, london_group, fac):
    MembershipFactory(group=london_group)
    occ = held(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(hours=4),
               present=[fac])  # fmt: skip
    client.force_login(fac)
    html = client.get(register_url(occ)).content.decode()
    assert "Reopen the register" in html and "stay sent" in html
    reopen = reverse("meetups:register_reopen", kwargs={"slug": london_group.slug, "pk": occ.pk})
    assert client.post(reopen).status_code == 302
    html = client.get(register_url(occ)).content.decode()
    assert "Close the register" in html and "Reopen the register" not in html

"""The rota's pages: staff edit it (bad input keeps the form and changes nothing), the queue
says who is on duty and offers "I've got this", members are told honestly when nobody is on,
and the figures count the alerts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from moderation import services
from moderation.models import Case, Shift

from .conftest import post

pytestmark = pytest.mark.django_db

MON = 0
MONDAY_10 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 10:00 BST
MONDAY_NIGHT = datetime(2026, 3, 30, 22, 30, tzinfo=UTC)  # 23:30 BST


@pytest.fixture
def rota(staff, moderator):
    services.shift_add(
        actor=staff, person_id=moderator.pk, weekday=MON, starts=time(9), ends=time(17)
    )


def test_staff_add_a_shift_and_see_the_gap_warning(client, staff, moderator):
    client.force_login(staff)
    with time_machine.travel(MONDAY_10, tick=False):
        done = client.post(
            "/moderation/rota/shift/",
            {"person": moderator.pk, "weekday": MON, "starts": "09:00", "ends": "17:00"},
            follow=True,
        )
    text = done.content.decode()
    assert "Shift added." in text
    assert "Nobody is on duty from Mon 30 Mar, 17:00" in text  # a warning, saved anyway
    assert Shift.objects.filter(person=moderator).count() == 1
    assert moderator.public_name in text


def test_an_overlapping_shift_keeps_the_form_and_changes_nothing(client, staff, moderator, rota):
    client.force_login(staff)
    page = client.post(
        "/moderation/rota/shift/",
        {"person": moderator.pk, "weekday": MON, "starts": "16:00", "ends": "18:00"},
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "overlaps" in text and "09:00 to 17:00" in text
    assert 'value="16:00"' in text and 'value="18:00"' in text  # what was typed is kept
    assert Shift.objects.count() == 1


def test_leave_without_cover_is_refused_kindly(client, staff, moderator, rota):
    client.force_login(staff)
    page = client.post(
        "/moderation/rota/change/",
        {
            "kind": "leave",
            "person": moderator.pk,
            "starts_on": "2026-03-30",
            "ends_on": "2026-03-31",
        },
    )
    assert page.status_code == 400
    assert "leave them uncovered" in page.content.decode()
    assert 'value="2026-03-31"' in page.content.decode()


def test_who_may_see_and_edit_the_rota(client, moderator, member, rota):
    client.force_login(moderator)
    page = client.get("/moderation/rota/")
    assert page.status_code == 200
    assert "Add a weekly shift" not in page.content.decode()  # moderators see, staff edit
    assert (
        client.post(
            "/moderation/rota/shift/",
            {"person": moderator.pk, "weekday": 1, "starts": "09:00", "ends": "10:00"},
        ).status_code
        == 403
    )
    client.force_login(member)
    assert client.get("/moderation/rota/").status_code == 403


def test_the_queue_says_who_is_on_duty_and_until_when(client, moderator, rota):
    client.force_login(moderator)
    with time_machine.travel(MONDAY_10, tick=False):
        text = client.get("/moderation/").content.decode()
    assert "On duty now:" in text and f"{moderator.public_name}, until Mon 17:00" in text
    with time_machine.travel(MONDAY_NIGHT, tick=False):
        text = client.get("/moderation/").content.decode()
    assert "Nobody is on duty right now." in text and "Next on: Mon 6 Apr, 09:00" in text


def test_i_have_got_this_from_the_queue(client, moderator, moderator2, member, group, rota):
    with time_machine.travel(MONDAY_10, tick=False):
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        client.force_login(moderator)
        text = client.get("/moderation/").content.decode()
        assert "I've got this" in text
        done = client.post(
            f"/moderation/case/{case.pk}/ack/", {"next": f"/moderation/#case-{case.pk}"}
        )
        assert done.status_code == 302 and done["Location"] == f"/moderation/#case-{case.pk}"
        text = client.get("/moderation/").content.decode()
        assert f"{moderator.public_name} picked this up at 10:00." in text
        client.force_login(moderator2)
        again = client.post(f"/moderation/case/{case.pk}/ack/", follow=True)
    assert "already picked this up" in again.content.decode()
    assert Case.objects.get(pk=case.pk).acknowledged_by == moderator


def test_a_facilitator_cannot_acknowledge(client, facilitator, member, group, rota):
    case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
    client.force_login(facilitator)
    assert "I've got this" not in client.get("/moderation/").content.decode()
    done = client.post(f"/moderation/case/{case.pk}/ack/", follow=True)
    assert "Only moderators can pick up urgent alerts" in done.content.decode()
    assert Case.objects.get(pk=case.pk).acknowledged_at is None


HONEST = "No moderator is on duty right now. Our moderators are back at 09:00."
SAMARITANS = "If you need help now:"


def test_honest_hours_on_the_support_page_and_crisis_panel(client, member, rota):
    client.force_login(member)
    with time_machine.travel(datetime(2026, 3, 30, 6, 0, tzinfo=UTC), tick=False):  # 07:00
        page = client.get("/moderation/support/").content.decode()
        panel = client.get("/moderation/support/?partial=1").content.decode()
    for text in (page, panel):
        assert HONEST in text
        assert SAMARITANS in text and "Samaritans" in text and "tel:116123" in text
    with time_machine.travel(MONDAY_10, tick=False):
        assert "No moderator is on duty" not in client.get("/moderation/support/").content.decode()
    with time_machine.travel(MONDAY_NIGHT, tick=False):
        later = client.get("/moderation/support/").content.decode()
    assert "Our moderators are back on Monday at 09:00." in later


def test_no_rota_promises_nothing(client, member):
    client.force_login(member)
    assert "on duty" not in client.get("/moderation/support/").content.decode()


def test_honest_hours_after_a_report_and_in_the_no_js_crisis_panel(
    client, member, author, group, rota
):
    message = post(author, group, "Something to report")
    client.force_login(member)
    with time_machine.travel(MONDAY_NIGHT, tick=False):
        thanks = client.post(f"/moderation/report/{message.pk}/", {"reason": "unkind"})
        assert "Our moderators are back on Monday at 09:00." in thanks.content.decode()
        post(member, group, "I can't go on like this")
        # Where the no-JS form lands after a crisis phrase (chat/views.py: support=1).
        room = client.get(f"/groups/{group.slug}/chat/?support=1").content.decode()
    assert "You don't have to carry this alone" in room
    assert "Our moderators are back on Monday at 09:00." in room


def test_figures_count_alerts_by_hour_and_time_to_acknowledge(
    client, staff, moderator, member, group, rota
):
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        clock.shift(timedelta(minutes=4))
        services.alert_acknowledge(actor=moderator, case_id=case.pk)
        client.force_login(staff)
        text = client.get("/moderation/figures/").content.decode()
    assert "4 minutes" in text
    assert "Alerts by hour of day (UK time)" in text
    assert (
        '<th scope="row">10:00</th><td><meter class="mod-bar" min="0" max="100" value="100"' in text
    )


def test_the_cover_page_is_for_the_groups_facilitators(client, member, facilitator, group):
    client.force_login(member)
    assert client.get(f"/moderation/cover/{group.slug}/").status_code == 403
    client.force_login(facilitator)
    assert client.get(f"/moderation/cover/{group.slug}/").status_code == 200
    hours = {"what": "hours", "weekday": 1, "starts": "19:00", "ends": "21:00"}
    client.post(f"/moderation/cover/{group.slug}/", hours)
    again = client.post(
        f"/moderation/cover/{group.slug}/", {**hours, "starts": "20:00", "ends": "22:00"}
    )
    assert again.status_code == 400
    assert "overlaps" in again.content.decode() and 'value="22:00"' in again.content.decode()
    assert Shift.objects.filter(group=group).count() == 1
    page = client.get(f"/groups/{group.slug}/").content.decode()
    assert "Tuesday 19:00–21:00" in page

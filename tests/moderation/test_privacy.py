"""Moderation's personal data: export the member's own items; erase keeps the record of what
was reported and decided, but drops the link to the reporter."""

from __future__ import annotations

import json

import pytest

from accounts import privacy
from accounts.services import account_delete
from moderation import services
from moderation.models import AuditEntry, Complaint, ModAction, Report

pytestmark = pytest.mark.django_db


def test_registered():
    assert "moderation" in privacy.exporters() and "moderation" in privacy.erasers()


def test_export_has_own_items_and_never_who_reported_me(member, author, message, moderator):
    services.report_message(user=member, message_id=message.pk, reason="other", note="rude")
    services.complaint_submit(user=member, about="service", text="slow replies")
    data = privacy.exporters()["moderation"](member)
    assert data["reports"][0]["note"] == "rude"
    assert data["complaints"][0]["text"] == "slow replies"
    report = Report.objects.get()
    services.case_act(actor=moderator, case_id=report.case_id, kind="hide", reason="Rude")
    theirs = privacy.exporters()["moderation"](author)
    assert theirs["reports"] == []
    assert theirs["decisions_about_me"][0]["reason"] == "Rude"
    dumped = json.dumps(theirs, default=str)
    assert member.display_name not in dumped and member.email not in dumped


def test_erase_drops_the_reporter_link_and_keeps_the_log(member, message, moderator):
    services.report_message(user=member, message_id=message.pk, reason="spam")
    services.complaint_submit(user=member, about="service", text="private words")
    report = Report.objects.get()
    services.case_act(actor=moderator, case_id=report.case_id, kind="hide", reason="Spam")
    log_before = list(AuditEntry.objects.values_list("pk", "event", "reason"))
    account_delete(user=member, password="village-test")
    report.refresh_from_db()
    assert report.reporter_id is None and report.reason == "spam"
    complaint = Complaint.objects.get()
    assert complaint.complainant_id is None and complaint.text == ""
    assert list(AuditEntry.objects.values_list("pk", "event", "reason")) == log_before
    assert ModAction.objects.count() == 1


def test_moderator_erased_log_stays(member, message, moderator, client, staff):
    report = services.report_message(user=member, message_id=message.pk, reason="spam")
    services.case_act(actor=moderator, case_id=report.case_id, kind="hide", reason="Spam")
    moderator.set_password("pw")
    moderator.save()
    account_delete(user=moderator, password="pw")
    assert AuditEntry.objects.filter(event="action", reason="Spam").exists()
    client.force_login(staff)
    page = client.get("/moderation/audit/").content.decode()
    assert "Former member" in page


def test_rota_and_time_away_are_exported_and_erased(staff, moderator, group, facilitator):
    """A moderator's shifts and leave, and a facilitator's own hours and away dates, are
    theirs: in their export, and gone when they delete their account."""
    from datetime import date, time

    import time_machine

    from groups import services as group_services
    from groups.models import FacilitatorAway, Membership
    from moderation.models import RotaChange, Shift
    from tests.factories import MembershipFactory

    services.shift_add(
        actor=staff, person_id=moderator.pk, weekday=0, starts=time(9), ends=time(17)
    )
    services.rota_change_add(
        actor=staff, kind="leave", person_id=moderator.pk, starts_on=date(2030, 1, 7),
        ends_on=date(2030, 1, 8), leave_uncovered=True,
    )  # fmt: skip
    services.shift_add(
        actor=facilitator, person_id=facilitator.pk, weekday=1, starts=time(19), ends=time(21),
        group=group,
    )  # fmt: skip
    co = MembershipFactory(group=group, role="facilitator")
    with time_machine.travel("2029-12-01 10:00 +0000", tick=False):
        group_services.away_set(
            membership=Membership.objects.get(user=facilitator, group=group),
            starts_on=date(2030, 1, 1), ends_on=date(2030, 1, 3), cover_user_id=co.user_id,
        )  # fmt: skip
    from groups.privacy import export as groups_export
    from moderation.privacy import export as moderation_export

    mine = moderation_export(moderator)
    assert mine["rota_shifts"] == [
        {"weekday": 0, "from": "09:00:00", "until": "17:00:00", "group_id": None}
    ]
    assert mine["rota_leave_and_swaps"][0]["from"] == "2030-01-07"

    away = [m["time_away"] for m in groups_export(facilitator) if m["time_away"]]
    assert away == [[{"from": "2030-01-01", "to": "2030-01-03"}]]

    moderator.set_password("pw")
    moderator.save()
    account_delete(user=moderator, password="pw")
    account_delete(user=facilitator, password="village-test")
    assert not Shift.objects.exists() and not RotaChange.objects.exists()
    assert not FacilitatorAway.objects.exists()

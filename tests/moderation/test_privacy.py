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

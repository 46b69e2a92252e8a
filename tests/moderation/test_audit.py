"""The audit log is append-only: nothing in the app can change or delete a row."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from moderation import services
from moderation.models import AuditEntry, ImmutableError

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(member, message, moderator):
    report = services.report_message(user=member, message_id=message.pk, reason="spam")
    services.case_act(actor=moderator, case_id=report.case_id, kind="hide", reason="Spam")
    return AuditEntry.objects.get(event="action")


def test_every_report_action_and_appeal_is_logged(entry, author, moderator2):
    from moderation.models import ModAction

    action = ModAction.objects.get()
    appeal = services.appeal_submit(user=author, action_id=action.pk, text="please")
    services.appeal_decide(actor=moderator2, appeal_id=appeal.pk, decision="upheld", reason="no")
    assert list(AuditEntry.objects.order_by("id").values_list("event", flat=True)) == [
        "report",
        "action",
        "appeal",
        "appeal_decision",
    ]
    logged = AuditEntry.objects.get(event="action")
    assert (logged.actor_id, logged.verb, logged.reason) == (action.actor_id, "hide", "Spam")


def test_save_refuses_changes(entry):
    entry.reason = "rewritten"
    with pytest.raises(ImmutableError):
        entry.save()
    entry.refresh_from_db()
    assert entry.reason == "Spam"


def test_delete_refused(entry):
    with pytest.raises(ImmutableError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_and_delete_refused(entry):
    with pytest.raises(ImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(ImmutableError):
        AuditEntry.objects.all().delete()
    with pytest.raises(ImmutableError):
        AuditEntry.objects.bulk_update([entry], ["reason"])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Spam"


def test_service_layer_only_appends(entry):
    before = list(AuditEntry.objects.values_list("pk", "reason"))
    services.audit(event=AuditEntry.Event.ACTION, verb="note", reason="new row")
    after = list(AuditEntry.objects.values_list("pk", "reason"))
    assert set(before) < set(after) and len(after) == len(before) + 1


def test_admin_cannot_change_the_log(entry, admin_client):
    response = admin_client.post(
        f"/admin/moderation/auditentry/{entry.pk}/change/", {"reason": "x"}
    )
    assert response.status_code in (302, 403) or b"reason" not in response.content
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Spam"
    response = admin_client.post(
        f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"}
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_page_filters(entry, moderator, member, client):
    client.force_login(moderator)
    page = client.get("/moderation/audit/?event=action").content.decode()
    assert "Spam" in page
    page = client.get("/moderation/audit/?event=appeal").content.decode()
    assert "Nothing matches" in page
    client.force_login(member)
    assert client.get("/moderation/audit/").status_code == 403


def test_audit_page_filters_by_who_item_and_when(entry, moderator, member, client):
    from django.utils import timezone

    client.force_login(moderator)
    mod_name = moderator.public_name

    def rows(query: str) -> str:
        page = client.get("/moderation/audit/?" + query)
        assert page.status_code == 200
        return page.content.decode().split('class="plain-list mod-audit"')[1].split("</ol>")[0]

    by_mod = rows(f"who={mod_name}")
    assert "Spam" in by_mod and "Report" not in by_mod  # the report was made by the member
    assert "Nothing matches" in rows("who=nobody-with-this-name")
    assert "Spam" in rows(f"item={entry.case_id_ref}")
    assert "Nothing matches" in rows(f"item={entry.case_id_ref + 1}")
    today = timezone.localdate().isoformat()
    assert "Spam" in rows(f"since={today}&until={today}")
    assert "Nothing matches" in rows("until=2000-01-01")
    bad = client.get(f"/moderation/audit/?since={today}&until=2000-01-01").content.decode()
    assert "The end date is before the start date." in bad


def test_audit_paging_keeps_the_filters(entry, moderator, client):
    for i in range(60):
        services.audit(
            event=AuditEntry.Event.ACTION, verb="warn", actor_id=moderator.pk, reason=f"r{i}"
        )
    client.force_login(moderator)
    html = client.get("/moderation/audit/?event=action&who=Member").content.decode()
    assert "event=action&amp;who=Member&amp;page=2" in html


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="a PostgreSQL trigger")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE moderation_auditentry SET reason = 'rewritten'",
        "DELETE FROM moderation_auditentry",
    ],
)
def test_the_database_refuses_raw_changes(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.reason == "Spam"

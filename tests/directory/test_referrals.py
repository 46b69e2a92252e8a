"""Referrals with consent, followed to an outcome; who may see them; the service's link."""

import datetime
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from directory import services
from directory.models import Referral, ReferralAnswer
from groups.models import Membership
from notifications.models import Notification
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import make_service

pytestmark = pytest.mark.django_db

from tests.conftest import SENTINEL  # noqa: E402

NOTE = f"My little one isn't sleeping and I'm exhausted {SENTINEL}"


@pytest.fixture
def cast(db):
    group, elsewhere = GroupFactory(name="Brierley Hill parents"), GroupFactory()
    F = Membership.Role.FACILITATOR
    return {
        "group": group,
        "member": MembershipFactory(group=group, user__display_name="Sam").user,
        "other_member": MembershipFactory(group=group).user,
        "facilitator": MembershipFactory(group=group, role=F, user__display_name="Jo").user,
        "group_facilitator": MembershipFactory(group=group, role=F).user,
        "other_facilitator": MembershipFactory(group=elsewhere, role=F).user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
        "service": make_service("Brierley Hill Family Hub", email="hub@example.org"),
    }


def _offer(client, cast):
    client.force_login(cast["facilitator"])
    response = client.post(
        reverse("directory:offer", args=[cast["service"].uuid]),
        {"to": f"{cast['group'].pk}:{cast['member'].pk}"},
    )
    assert response.status_code == 302
    return Referral.objects.get()


def _consent(client, cast, referral, note=NOTE):
    client.force_login(cast["member"])
    url = reverse("directory:referral", args=[referral.pk])
    fields = {"shared_name": "Sam", "shared_contact": "07700 900123", "note": note}
    preview = client.post(url, {**fields, "step": "preview"})
    html = preview.content.decode()
    shown = re.search(r'name="shown_text" value="([^"]*)"', html).group(1)
    import html as htmllib

    shown = htmllib.unescape(shown).replace("\n", "\r\n")  # as a browser submits it
    response = client.post(url, {**fields, "step": "agree", "shown_text": shown})
    assert response.status_code == 302, response.content.decode()[:2000]
    return html


def _to_service():
    return [m for m in mail.outbox if m.to == ["hub@example.org"]]


def _answer_link():
    body = _to_service()[0].body
    return re.search(r"http://\S+/help/answer/(\S+)/", body).group(1)


def test_the_whole_flow(client, cast, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.DEBUG)
    referral = _offer(client, cast)
    assert referral.status == "offered"
    assert Notification.objects.filter(user=cast["member"], kind="referral").exists()
    assert mail.outbox == [] or all("hub@example.org" not in m.to for m in mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        preview = _consent(client, cast, referral)
    # The member saw exactly what is shared: their name, contact and note, nothing else.
    assert "This is exactly what will be sent" in preview
    assert "07700 900123" in preview and NOTE.replace("'", "&#x27;") in preview
    referral.refresh_from_db()
    assert referral.status == "sent" and referral.consented_at is not None
    assert "07700 900123" in referral.consent_text and NOTE in referral.consent_text
    sent = [m for m in mail.outbox if m.to == ["hub@example.org"]]
    assert len(sent) == 1 and NOTE in sent[0].body
    token = _answer_link()
    assert len(referral.token_hash) == 64 and token not in referral.token_hash

    client.logout()  # the service has no account
    answer = reverse("directory:answer", args=[token])
    page = client.get(answer)
    assert page.status_code == 200 and "07700 900123" in page.content.decode()
    client.post(answer, {"answer": "received"})
    client.post(answer, {"answer": "in_touch"})
    again = client.post(answer, {"answer": "in_touch"}, follow=True)
    assert "already told us" in again.content.decode()
    assert ReferralAnswer.objects.filter(referral=referral, kind="in_touch").count() == 1

    client.force_login(cast["member"])
    page = client.get(reverse("directory:referral", args=[referral.pk])).content.decode()
    assert "Sent to Brierley Hill Family Hub on" in page
    assert "They said they&#x27;ve been in touch." in page
    client.force_login(cast["facilitator"])
    page = client.get(reverse("directory:referrals")).content.decode()
    assert "They said they&#x27;ve been in touch." in page and "For Sam" in page

    client.logout()
    client.post(answer, {"answer": "helped"})
    referral.refresh_from_db()
    assert referral.status == "helped" and referral.closed_at
    # No referral text, contact or token in any log line.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NOTE not in logged and "07700 900123" not in logged and token not in logged


def test_without_consent_nothing_is_sent(client, cast):
    referral = _offer(client, cast)
    client.force_login(cast["member"])
    url = reverse("directory:referral", args=[referral.pk])
    client.post(url, {"shared_name": "Sam", "shared_contact": "07700 900123", "step": "preview"})
    # Agreeing to text other than what would be sent is refused.
    response = client.post(url, {"shared_name": "Sam", "shared_contact": "07700 900999",
                                 "note": "", "step": "agree", "shown_text": "I agree"})
    assert "Something changed on the page" in response.content.decode()
    assert 'value="07700 900999"' in response.content.decode()  # kept
    referral.refresh_from_db()
    assert referral.status == "offered" and not referral.consent_text
    assert not [m for m in mail.outbox if m.to == ["hub@example.org"]]


def test_a_member_can_ask_for_themself(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast["other_member"])
    client.post(reverse("directory:ask", args=[cast["service"].uuid]))
    referral = Referral.objects.get()
    assert referral.member == cast["other_member"] and referral.facilitator is None
    cast["member"] = cast["other_member"]
    with django_capture_on_commit_callbacks(execute=True):
        _consent(client, cast, referral)
    assert Referral.objects.get().status == "sent"


def test_withdrawing_stops_the_link_and_tells_the_service(
    client, cast, django_capture_on_commit_callbacks
):
    referral = _offer(client, cast)
    with django_capture_on_commit_callbacks(execute=True):
        _consent(client, cast, referral)
    token = _answer_link()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("directory:withdraw", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.status == "withdrawn" and referral.shared_contact == ""
    assert referral.note == "" and referral.consent_text == "" and referral.consented_at
    told = _to_service()[-1]
    assert "withdrawn" in told.subject and "no longer works" in told.body
    client.logout()
    stale = client.get(reverse("directory:answer", args=[token]))
    assert stale.status_code == 410 and "This link no longer works" in stale.content.decode()
    assert client.post(reverse("directory:answer", args=[token]),
                       {"answer": "helped"}).status_code == 410
    assert not ReferralAnswer.objects.exists()


def test_a_tampered_or_old_link_gets_the_kind_page(
    client, cast, django_capture_on_commit_callbacks
):
    referral = _offer(client, cast)
    with django_capture_on_commit_callbacks(execute=True):
        _consent(client, cast, referral)
    token = _answer_link()
    client.logout()
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 200, "nothing"):
        page = client.get(reverse("directory:answer", args=[bad]))
        assert page.status_code == 410 and "This link no longer works" in page.content.decode()
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=91)):
        assert client.get(reverse("directory:answer", args=[token])).status_code == 410


def test_not_the_right_service_asks_the_facilitator_to_help(
    client, cast, django_capture_on_commit_callbacks
):
    referral = _offer(client, cast)
    with django_capture_on_commit_callbacks(execute=True):
        _consent(client, cast, referral)
    client.logout()
    client.post(reverse("directory:answer", args=[_answer_link()]),
                {"answer": "not_right", "suggestion": "Try the sleep clinic at Russells Hall"})
    referral.refresh_from_db()
    assert referral.status == "not_right" and "sleep clinic" in referral.suggestion
    asked = Notification.objects.get(user=cast["facilitator"], kind="referral",
                                     title__contains="wasn't the right place")
    assert "could you help find another" in asked.title
    notes = Notification.objects.filter(user=cast["member"], kind="referral")
    member_note = notes.order_by("pk").last()
    assert "sleep clinic" in member_note.body


def _sent(cast, when):
    with time_machine.travel(when, tick=False):
        referral = services.referral_offer(facilitator=cast["facilitator"], group=cast["group"],
                                           member=cast["member"], service=cast["service"])
        text = services.consent_text(service=cast["service"], shared_name="Sam",
                                     shared_contact="07700 900123", note="")
        services.referral_consent(member=cast["member"], referral=referral, shared_name="Sam",
                                  shared_contact="07700 900123", note="", shown_text=text)
    return referral


def test_follow_up_after_working_days_once(cast):
    # Sent on Friday 4 Dec 2026; five working days later is Friday 11 Dec.
    _sent(cast, datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC))
    from directory.tasks import follow_up_referrals

    with time_machine.travel(datetime.datetime(2026, 12, 10, 12, 0, tzinfo=datetime.UTC)):
        assert follow_up_referrals.call_local() == 0
    with time_machine.travel(datetime.datetime(2026, 12, 11, 10, 30, tzinfo=datetime.UTC)):
        assert follow_up_referrals.call_local() == 1
        assert follow_up_referrals.call_local() == 0
    note = Notification.objects.get(user=cast["facilitator"], title__startswith="Check in")
    assert note.title == "Check in with Sam about their referral"


def test_follow_up_emails_wait_for_quiet_hours(cast, django_capture_on_commit_callbacks):
    from notifications.models import QuietHours

    QuietHours.objects.filter(user=cast["facilitator"]).update(
        enabled=True, start=datetime.time(21), end=datetime.time(8))
    _sent(cast, datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC))
    # 23:00 London time: the notification is made, its email held until the morning.
    mail.outbox.clear()
    late = datetime.datetime(2026, 12, 11, 23, 0, tzinfo=datetime.UTC)
    with time_machine.travel(late), django_capture_on_commit_callbacks(execute=True):
        services.referrals_follow_up()
    note = Notification.objects.get(user=cast["facilitator"], title__startswith="Check in")
    assert note.send_after is not None and note.send_after.hour == 8
    assert note.emailed_at is None
    assert not [m for m in mail.outbox if cast["facilitator"].email in m.to]


def test_closed_referrals_are_deleted_after_the_retention_period(cast):
    referral = _sent(cast, datetime.datetime(2025, 1, 6, 10, 0, tzinfo=datetime.UTC))
    with time_machine.travel(datetime.datetime(2025, 1, 7, tzinfo=datetime.UTC)):
        services.referral_withdraw(member=cast["member"], referral=referral)
    live = _sent(cast, datetime.datetime(2025, 1, 6, 10, 0, tzinfo=datetime.UTC))
    from directory.tasks import delete_closed_referrals

    with time_machine.travel(datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC)):
        assert delete_closed_referrals.call_local() == 0
    with time_machine.travel(datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)):
        assert delete_closed_referrals.call_local() == 1
    assert list(Referral.objects.all()) == [live]


def test_export_and_erase_with_the_account(cast, django_capture_on_commit_callbacks):
    from accounts.selectors import account_export
    from accounts.services import account_delete

    referral = _sent(cast, datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC))
    exported = account_export(user=cast["member"])["directory"]
    assert exported[0]["service"] == "Brierley Hill Family Hub"
    assert exported[0]["shared_contact"] == "07700 900123"
    assert "I agree that Village sends this" in exported[0]["consent_text"]
    # The facilitator's export holds nothing of Sam's.
    assert account_export(user=cast["facilitator"])["directory"] == []
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=cast["member"], password="village-test")
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert "withdrawn" in _to_service()[-1].subject


def test_figures_for_staff(client, cast):
    first = _sent(cast, datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC))
    _sent(cast, datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC))  # never answered
    Referral.objects.filter(pk=first.pk).update(
        status="in_touch", first_answer_at=datetime.datetime(2026, 12, 3, 10, 0,
                                                             tzinfo=datetime.UTC))
    client.force_login(cast["staff"])
    page = client.get(reverse("moderation:figures")).content.decode()
    assert "Referrals to local services" in page
    assert "Brierley Hill Family Hub" in page
    assert '<p class="mod-stat">2.0</p>' in page  # two days to the first answer
    assert '<p class="mod-stat">1</p><p>open referrals past their follow-up date' in page
    # The page shows counts only: nothing a member shared.
    assert "07700 900123" not in page
    client.force_login(cast["moderator"])
    assert client.get(reverse("moderation:figures")).status_code == 403

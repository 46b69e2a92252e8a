"""Crisis phrases: posted as usual, private support panel, urgent alerts that do not depend on
Redis."""

from __future__ import annotations

import pytest
from django.core import mail

from chat.models import Message
from moderation import services
from moderation.models import Case, CrisisPhrase, Helpline
from notifications.models import Kind, Notification
from realtime import names, sender

from .conftest import post

pytestmark = pytest.mark.django_db


def test_seeded_helplines_and_phrases():
    names = list(Helpline.objects.values_list("name", flat=True))
    assert names == ["999", "Samaritans", "Shout", "NSPCC helpline"]
    samaritans = Helpline.objects.get(name="Samaritans")
    assert "116 123" in samaritans.how and "24 hours" in samaritans.hours
    assert "85258" in Helpline.objects.get(name="Shout").how
    nspcc = Helpline.objects.get(name="NSPCC helpline")
    assert "0808 800 5000" in nspcc.how and "10am to 8pm" in nspcc.hours
    assert CrisisPhrase.objects.filter(phrase="want to die").exists()


@pytest.mark.parametrize(
    "text",
    [
        "honestly I can't go on like this",
        "some days I just want to d1e",
        "I keep thinking about self-harm",
        "I might hurt myself tonight",
        "my partner hits the baby when he's angry",
    ],
)
def test_crisis_message_is_posted_and_alerts(
    text, author, facilitator, moderator, member, group, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        msg = post(author, group, text)
    assert msg.state == Message.State.VISIBLE  # never blocked or held
    case = Case.objects.get(message=msg, kind=Case.Kind.CRISIS)
    assert case.urgent
    alerts = Notification.objects.filter(kind=Kind.SAFEGUARDING, urgent=True)
    assert set(alerts.values_list("user_id", flat=True)) == {facilitator.pk, moderator.pk}
    # The author is never alerted about themselves, other members never see anything.
    assert not Notification.objects.filter(user__in=[author, member]).exists()
    assert {facilitator.email, moderator.email} <= {a for m in mail.outbox for a in m.to}


def test_author_gets_a_private_support_offer(
    author, member, group, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        sender,
        "send_now",
        lambda group_name, message, **kw: sent.append((group_name, message)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(author, group, "I want to die")
    offers = [(g, m) for g, m in sent if m.get("event", {}).get("type") == "support.offer"]
    assert offers and all(g == names.user_group(author.pk) for g, _ in offers)


def test_support_panel_pages(client, author):
    client.force_login(author)
    full = client.get("/moderation/support/").content.decode()
    assert "Samaritans" in full and "116 123" in full and "<html" in full
    partial = client.get("/moderation/support/?partial=1").content.decode()
    assert "data-support-fragment" in partial and "<html" not in partial
    assert "85258" in partial and "999" in partial


class BrokenLayer:
    async def group_send(self, *args, **kwargs):
        raise ConnectionError("redis is down")

    async def send(self, *args, **kwargs):
        raise ConnectionError("redis is down")


def test_alert_committed_and_emailed_with_a_failing_channel_layer(
    author, moderator, group, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(sender, "get_channel_layer", lambda *a: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True):
        msg = post(author, group, "I can't go on anymore")
    assert Message.objects.filter(pk=msg.pk).exists()
    alert = Notification.objects.get(user=moderator, kind=Kind.SAFEGUARDING)
    assert alert.urgent
    assert any(moderator.email in m.to for m in mail.outbox)


def test_crisis_alert_row_is_in_the_same_transaction_as_the_message(
    author, moderator, group, monkeypatch
):
    """If the message's transaction rolls back, the alert is gone too (and vice versa)."""
    from chat import screening

    def boom(message, verdict):
        raise RuntimeError("later hook failed")

    screening.register_after_send(boom)
    try:
        with pytest.raises(RuntimeError):
            post(author, group, "I want to die")
    finally:
        screening._after_send.remove(boom)
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_crisis_phrases_are_editable(moderator, author, group):
    services.crisis_phrase_add(actor=moderator, phrase="nobody would miss me")
    post(author, group, "Nobody would miss me tbh")
    assert Case.objects.filter(kind=Case.Kind.CRISIS).count() == 1


def test_alert_email_is_sent_later_when_the_queue_is_down(
    author, moderator, group, monkeypatch, django_capture_on_commit_callbacks
):
    """Redis down: the channel layer and the email queue both fail. The message and the alert
    row are committed, nothing breaks for the author, and the sweep emails the alert later."""
    from datetime import timedelta

    from django.utils import timezone

    from moderation.tasks import resend_urgent_alerts
    from notifications import tasks as notification_tasks

    def queue_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(sender, "get_channel_layer", lambda *a: BrokenLayer())
    with monkeypatch.context() as m:
        m.setattr(notification_tasks, "send_notification_emails", queue_down)
        with django_capture_on_commit_callbacks(execute=True):
            msg = post(author, group, "I can't go on anymore")
    assert Message.objects.filter(pk=msg.pk).exists()
    alert = Notification.objects.get(user=moderator, kind=Kind.SAFEGUARDING)
    assert alert.emailed_at is None and not mail.outbox
    assert resend_urgent_alerts.call_local() == 0  # too fresh: the normal path goes first
    Notification.objects.filter(pk=alert.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert resend_urgent_alerts.call_local() >= 1
    assert any(moderator.email in m.to for m in mail.outbox)
    alert.refresh_from_db()
    assert alert.emailed_at is not None
    sent = len(mail.outbox)
    assert resend_urgent_alerts.call_local() == 0 and len(mail.outbox) == sent  # never twice

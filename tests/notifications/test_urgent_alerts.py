"""Urgent safeguarding alerts are part of the moderator's role: their emails can't be ended by a
mail client's one-click unsubscribe button, and say why in plain words."""

import pytest
from django.test import Client

from moderation import services as moderation_services
from notifications.models import Kind, Preference
from notifications.services import notify
from notifications.tasks import unsubscribe_token
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLE_WORDS = "They are part of that role, so there is no unsubscribe link"


def _parts(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def test_an_urgent_alert_email_has_no_unsubscribe_and_says_why(
    group, mailoutbox, django_capture_on_commit_callbacks
):
    moderator = UserFactory(is_moderator=True)
    member = MembershipFactory(group=group).user
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.concern_raise(user=member, group_slug=group.slug, note="Worried")
    [alert] = [m for m in mailoutbox if moderator.email in m.to]
    assert "List-Unsubscribe" not in alert.extra_headers
    assert "List-Unsubscribe-Post" not in alert.extra_headers
    text, html = _parts(alert)
    assert "unsubscribe/" not in text and "unsubscribe/" not in html
    assert "Stop these emails" not in html and "stop these emails" not in text
    assert ROLE_WORDS in text and ROLE_WORDS in html


def test_other_emails_keep_their_one_click_unsubscribe(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[user.pk], kind=Kind.MEETUP_CHANGE, title="Moved", email=True)
    [message] = mailoutbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert ROLE_WORDS not in message.body


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_unsubscribe_endpoint_refuses_safeguarding_alerts(db, method):
    moderator = UserFactory(is_moderator=True)
    token = unsubscribe_token(moderator.pk, Kind.SAFEGUARDING)  # e.g. from an old email
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 403
    assert "part of your role" in response.content.decode()
    assert not Preference.objects.filter(user=moderator, email=False).exists()


def test_the_service_refuses_too(db):
    from notifications.services import preference_email_off

    moderator = UserFactory(is_moderator=True)
    assert preference_email_off(user_id=moderator.pk, kind=Kind.SAFEGUARDING) is False
    assert not Preference.objects.filter(user=moderator).exists()

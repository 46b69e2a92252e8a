"""Deleting a message without JavaScript asks first (issue 17), and slow mode counts properly."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import Message
from tests.factories import MembershipFactory

from .conftest import room_url as url
from .conftest import send_message as send

pytestmark = pytest.mark.django_db

ASK = "Delete this message? This can't be undone."


def test_no_js_delete_asks_before_deleting(client, member, group, room):
    mine = send(member, room, "I'd rather take this back")
    client.force_login(member)
    # The room's plain Delete form posts here: nothing is deleted yet, we ask.
    asked = client.post(url(group), {"action": "delete", "message_id": mine.pk})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert ASK in html
    assert "I&#x27;d rather take this back" in html  # which message, so they can be sure
    assert 'name="confirm" value="yes"' in html and "Keep it" in html
    assert f'href="{url(group)}#m-{mine.pk}"' in html  # Keep it goes back to the message
    assert Message.objects.get(pk=mine.pk).deleted_at is None
    # The same question is a page of its own, too.
    page = client.get(url(group, delete=mine.pk))
    assert page.status_code == 200 and ASK in page.content.decode()
    assert Message.objects.get(pk=mine.pk).deleted_at is None
    # Saying yes deletes it.
    done = client.post(url(group), {"action": "delete", "message_id": mine.pk, "confirm": "yes"})
    assert done.status_code == 302
    assert Message.objects.get(pk=mine.pk).deleted_at is not None


def test_delete_question_only_for_your_own_live_message(client, member, group, room):
    other = MembershipFactory(group=group).user
    theirs = send(other, room, "someone else's words")
    client.force_login(member)
    asked = client.post(url(group), {"action": "delete", "message_id": theirs.pk})
    assert asked.status_code == 400
    assert ASK not in asked.content.decode()
    page = client.get(url(group, delete=theirs.pk))
    assert ASK not in page.content.decode()
    assert Message.objects.get(pk=theirs.pk).deleted_at is None


@pytest.mark.parametrize(("seconds", "words"), [
    (1, "you can send one message every 1 second."),
    (2, "you can send one message every 2 seconds."),
])  # fmt: skip
def test_slow_mode_counts_seconds_properly(member, facilitator, room, seconds, words):
    services.room_set_slow_mode(user=facilitator, room=room, seconds=seconds)
    room.refresh_from_db()
    send(member, room, "first")
    with pytest.raises(services.ChatError) as exc:
        send(member, room, "second, too soon")
    assert exc.value.code == "slow_mode"
    assert exc.value.text.endswith(words)

"""No message bodies, report notes or email addresses in the logs (tests/conftest.py guards
every test of the suite). This module first proves the guard is live, then drives the paths
that handle private text (a chat send over the socket and without JavaScript, an edit, a crisis
message, a report, a concern, refused and malformed frames, a failed log-in) with the sentinel
in the text and real email addresses on the accounts: the guard fails any that leaks."""

from __future__ import annotations

import contextlib
import logging
import uuid

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from chat import services as chat_services
from moderation import services as moderation_services
from tests import conftest
from tests.factories import MembershipFactory

SENTINEL = conftest.SENTINEL


def test_the_guard_sees_every_record_after_django_configured_logging():
    logging.getLogger("village.anything").warning("mail for %s", "someone@example.com")
    logging.getLogger("village.anything").info("said: %s", SENTINEL)
    assert len(conftest._guard.leaks) == 2, conftest._guard.leaks
    assert conftest._guard in logging.getLogger().handlers
    conftest._guard.leaks.clear()


@pytest.mark.django_db
def test_the_no_js_paths_keep_private_text_out_of_the_logs(member, facilitator, group):
    browser = HttpClient()
    browser.force_login(member)
    room_url = reverse("chat:room", args=[group.slug])
    r = browser.post(
        room_url, {"action": "send", "body": f"{SENTINEL} one", "client_id": str(uuid.uuid4())}
    )
    assert r.status_code == 302
    crisis = browser.post(
        room_url,
        {"action": "send", "body": f"I can't go on {SENTINEL}", "client_id": str(uuid.uuid4())},
    )
    assert crisis.status_code == 302
    too_long = browser.post(
        room_url, {"action": "send", "body": SENTINEL * 500, "client_id": str(uuid.uuid4())}
    )
    assert too_long.status_code in (200, 400)
    room = chat_services.room_for_group(group.pk)
    message = room.messages.order_by("pk").first()
    chat_services.message_edit(user=member, room=room, message_id=message.pk, body=f"{SENTINEL}!")
    moderation_services.report_message(
        user=facilitator, message_id=message.pk, reason="unkind", note=f"note {SENTINEL}"
    )
    moderation_services.concern_raise(user=facilitator, group_slug=group.slug, note=SENTINEL)
    # A wrong password for a real address, and a log-in page for it.
    HttpClient().post(reverse("account_login"), {"login": member.email, "password": SENTINEL})


@pytest.mark.django_db(transaction=True)
async def test_the_socket_paths_keep_private_text_out_of_the_logs(group, make_client_anywhere):
    from channels.db import database_sync_to_async as db

    member = await db(lambda: MembershipFactory(group=group).user)()
    c = make_client_anywhere(member, group)
    await c.connect()
    assert (await c.message(f"{SENTINEL} over the socket"))["type"] == "ack"
    await c.send({"type": "send", "client_id": "not-a-uuid", "body": SENTINEL})
    await c.send({"type": "send", "client_id": str(uuid.uuid4()), "body": SENTINEL + "\ud800"})
    await c.send({"type": "nope", "body": SENTINEL})
    await c.comm.send_to(text_data=f'{{"type":"send","body":"{SENTINEL}"')  # broken JSON
    await c.send({"type": "ping"})
    await c.until("pong")
    await c.close()


@pytest.fixture
async def make_client_anywhere():
    from tests.chat.conftest import Client

    clients = []

    def make(user, group):
        c = Client(user, group)
        clients.append(c)
        return c

    yield make
    for c in clients:
        with contextlib.suppress(Exception):  # already closed
            await c.comm.disconnect()

"""Live effects over websockets: the moderation queue socket, and moderation actions reaching
open chat rooms (hide removes the message, mute and remove reach an open socket)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as db
from channels.routing import URLRouter

from moderation import services
from moderation.routing import websocket_urlpatterns
from tests.factories import LoggedInCommunicator

from .conftest import post

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE_APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    yield
    # database_sync_to_async runs in a worker thread; close its connection so the test
    # database can be dropped at the end of the run.
    from django.db import connections

    await db(connections.close_all)()


def queue_socket(user):
    return LoggedInCommunicator(QUEUE_APP, "/ws/moderation/", user)


async def test_new_report_appears_on_the_live_queue(moderator, member, message):
    comm = queue_socket(moderator)
    connected, _ = await comm.connect()
    assert connected
    report = await db(services.report_message)(user=member, message_id=message.pk, reason="unkind")
    frame = await comm.receive_json_from(timeout=3)
    assert frame == {
        "type": "queue.changed",
        "case_id": report.case_id,
        "group_id": message.room.group_id,
    }
    await comm.disconnect()


async def test_facilitator_hears_only_their_groups(facilitator, other_facilitator, member, message):
    mine, theirs = queue_socket(facilitator), queue_socket(other_facilitator)
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    await db(services.report_message)(user=member, message_id=message.pk, reason="spam")
    assert (await mine.receive_json_from(timeout=3))["type"] == "queue.changed"
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_members_cannot_listen_to_the_queue(member):
    comm = queue_socket(member)
    connected, code = await comm.connect()
    assert not connected or (await comm.receive_output(timeout=1))["type"] == "websocket.close"
    await comm.disconnect()


async def test_hide_removes_message_from_another_members_open_room(
    moderator, member, author, group
):
    from tests.chat.conftest import Client

    watcher = Client(member, group)
    await watcher.connect()
    msg = await db(post)(author, group, "something unkind")
    await watcher.until("message.created")
    report = await db(services.report_message)(user=member, message_id=msg.pk, reason="unkind")
    await db(services.case_act)(actor=moderator, case_id=report.case_id, kind="hide", reason="x")
    hidden = (await watcher.until("message.hidden"))[-1]
    assert hidden["message_id"] == msg.pk
    assert "something unkind" not in str(hidden)
    # A placeholder takes its place: no body, author or reactions.
    assert hidden["message"]["state"] == "hidden" and hidden["message"]["author"] is None
    await watcher.close()


async def test_author_sees_own_hidden_message_and_reversal_restores_it_for_all(
    moderator, moderator2, member, author, group
):
    from tests.chat.conftest import Client

    watcher, writer = Client(member, group), Client(author, group)
    await watcher.connect()
    await writer.connect()
    msg = await db(post)(author, group, "something unkind")
    await watcher.until("message.created")
    await writer.until("message.created")
    report = await db(services.report_message)(user=member, message_id=msg.pk, reason="unkind")
    action = await db(services.case_act)(
        actor=moderator, case_id=report.case_id, kind="hide", reason="Unkind"
    )
    mine = (await writer.until("message.hidden"))[-1]
    assert mine["message"]["body"] == "something unkind" and mine["message"]["state"] == "hidden"
    theirs = (await watcher.until("message.hidden"))[-1]
    assert "something unkind" not in str(theirs)
    appeal = await db(services.appeal_submit)(
        user=author, action_id=action.pk, text="I was quoting someone else"
    )
    await db(services.appeal_decide)(
        actor=moderator2, appeal_id=appeal.pk, decision="reversed", reason="Fair point"
    )
    back = (await watcher.until("message.restored"))[-1]
    assert back["message"]["body"] == "something unkind" and back["message"]["state"] == "visible"
    await watcher.close()
    await writer.close()


async def test_mute_reaches_the_open_socket(moderator, member, author, group):
    from tests.chat.conftest import Client

    muted = Client(author, group)
    await muted.connect()
    msg = await db(post)(author, group, "oops")
    report = await db(services.report_message)(user=member, message_id=msg.pk, reason="spam")
    await db(services.case_act)(
        actor=moderator,
        case_id=report.case_id,
        kind="mute",
        reason="Cool off",
        duration=timedelta(days=1),
    )
    frame = (await muted.until("muted"))[-1]
    assert frame["until"]
    await muted.close()


async def test_remove_closes_the_open_socket(facilitator, member, author, group):
    from tests.chat.conftest import Client

    removed = Client(author, group)
    await removed.connect()
    msg = await db(post)(author, group, "x")
    report = await db(services.report_message)(user=member, message_id=msg.pk, reason="spam")
    await db(services.case_act)(
        actor=facilitator, case_id=report.case_id, kind="remove", reason="Repeated selling"
    )
    while True:
        frame = await removed.recv(timeout=10)  # a busy CI machine, real Redis in between
        if frame["type"] == "__closed__":
            break
    assert frame["code"] == 4403

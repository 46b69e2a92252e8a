"""The bell's websocket: only its owner, only bell events, always with the fresh count."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.contrib.auth.models import AnonymousUser

from notifications.routing import websocket_urlpatterns
from notifications.services import notification_mark_read, notify
from realtime.names import user_group
from tests.factories import LoggedInCommunicator, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]

app = URLRouter(websocket_urlpatterns)


async def connect(user):
    communicator = LoggedInCommunicator(app, "/ws/notifications/", user)
    connected, code = await communicator.connect(timeout=3)
    return communicator, connected, code


async def test_anonymous_is_rejected_with_4401():
    communicator, connected, code = await connect(AnonymousUser())
    assert not connected
    assert code == 4401


async def test_hello_carries_the_unread_count():
    user = await sync_to_async(UserFactory)()
    await sync_to_async(notify)(user_ids=[user.pk], kind="mention", title="Hi", email=False)
    communicator, connected, _ = await connect(user)
    assert connected
    assert await communicator.receive_json_from(timeout=3) == {"type": "hello", "unread": 1}
    await communicator.disconnect()


async def test_new_notification_and_read_are_pushed_with_the_count():
    user = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(user)
    await communicator.receive_json_from(timeout=3)

    await sync_to_async(notify)(
        user_ids=[user.pk], kind="mention", title="You were mentioned", url="/x/", email=False
    )
    frame = await communicator.receive_json_from(timeout=3)
    assert frame == {
        "type": "notification.created",
        "unread": 1,
        "title": "You were mentioned",
        "url": "/x/",
        "urgent": False,
    }

    await sync_to_async(notification_mark_read)(user=user)
    assert await communicator.receive_json_from(timeout=3) == {
        "type": "notification.read",
        "unread": 0,
    }
    await communicator.disconnect()


async def test_other_event_types_are_ignored():
    user = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(user)
    await communicator.receive_json_from(timeout=3)
    layer = get_channel_layer()
    await layer.group_send(
        user_group(user.pk),
        {"type": "user.event", "event": {"type": "membership.revoked", "group_id": 1}},
    )
    await layer.group_send(
        user_group(user.pk), {"type": "user.event", "event": {"type": "notification.read"}}
    )
    # The first frame to arrive is the bell event: the membership one was dropped.
    assert (await communicator.receive_json_from(timeout=3))["type"] == "notification.read"
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_one_members_events_never_reach_another():
    alice = await sync_to_async(UserFactory)()
    bob = await sync_to_async(UserFactory)()
    alice_ws, _, _ = await connect(alice)
    bob_ws, _, _ = await connect(bob)
    await alice_ws.receive_json_from(timeout=3)
    await bob_ws.receive_json_from(timeout=3)
    await sync_to_async(notify)(user_ids=[alice.pk], kind="mention", title="Hi", email=False)
    assert (await alice_ws.receive_json_from(timeout=3))["unread"] == 1
    assert await bob_ws.receive_nothing(timeout=0.2)
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_junk_from_the_client_does_not_crash_it():
    user = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(user)
    await communicator.receive_json_from(timeout=3)
    await communicator.send_to(text_data="{not json")
    await communicator.send_to(text_data='{"type": "anything"}')
    await sync_to_async(notify)(user_ids=[user.pk], kind="mention", title="Hi", email=False)
    assert (await communicator.receive_json_from(timeout=3))["type"] == "notification.created"
    await communicator.disconnect()


def test_routing_is_in_the_site_websocket_routes():
    from config.routing import websocket_urlpatterns as site_routes

    assert any(str(r.pattern) == "ws/notifications/" for r in site_routes)


async def test_a_broken_channel_layer_closes_with_try_again(monkeypatch):
    user = await sync_to_async(UserFactory)()
    layer = get_channel_layer()

    async def broken(*args, **kwargs):
        raise ConnectionError("redis went away")

    monkeypatch.setattr(layer, "group_add", broken)
    communicator, connected, code = await connect(user)
    assert not connected
    assert code == 1013

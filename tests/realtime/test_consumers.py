"""Village's consumers do not hop to the database thread for every frame (realtime.consumers):
in a reconnect storm those hops queue on one thread per process."""

from __future__ import annotations

import pytest

from chat.consumers import ChatConsumer
from moderation.consumers import QueueConsumer
from notifications.consumers import NotificationConsumer
from realtime.consumers import NoDatabaseHopPerFrame
from tests.chat.conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("consumer", [ChatConsumer, NotificationConsumer, QueueConsumer])
def test_every_consumer_dispatches_without_the_hop(consumer):
    assert issubclass(consumer, NoDatabaseHopPerFrame)
    assert consumer.dispatch is NoDatabaseHopPerFrame.dispatch


async def test_a_chat_session_makes_no_per_frame_hop(monkeypatch, member, group):
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    client = Client(member, group)
    await client.connect(hello=0)  # the handshake, then `hello` and its resume
    await client.send({"type": "typing"})
    await client.comm.disconnect()
    assert hops == []

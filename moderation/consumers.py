"""The live review queue: /ws/moderation/. Thin: decides which queue groups the user may
listen to (through the permission module), then forwards hints; the page refetches."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import events, selectors


@database_sync_to_async
def _queue_groups(user) -> list[str] | None:
    site, group_ids = selectors.queue_scope(user)
    if site:
        return [events.SITE_QUEUE]
    if group_ids:
        return [events.group_queue(g) for g in group_ids]
    return None


class QueueConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        groups = await _queue_groups(user)
        if not groups:
            await self.close(code=4403)
            return
        self.queue_groups = groups
        for name in groups:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for name in getattr(self, "queue_groups", []):
            await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Read-only socket: ignore anything a client sends.
        return

    async def queue_event(self, message):
        await self.send_json(message["event"])

"""The live review queue: /ws/moderation/. Thin: decides which queue groups the user may
listen to (through the permission module), then forwards hints; the page refetches."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.security import CLOSE_UNAUTHENTICATED, socket_refusal_by_id
from groups.permissions import queue_scope
from realtime.consumers import NoDatabaseHopPerFrame
from realtime.events import UserEvent
from realtime.names import SITE_QUEUE, group_queue, user_group


@database_sync_to_async
def _queue_groups(user) -> list[str] | None:
    site, group_ids = queue_scope(user)
    if site:
        return [SITE_QUEUE]
    if group_ids:
        return [group_queue(g) for g in group_ids]
    return None


_refusal = database_sync_to_async(socket_refusal_by_id)


class QueueConsumer(NoDatabaseHopPerFrame, AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        groups = await _queue_groups(user)
        if not groups:
            await self.close(code=4403)
            return
        self.user_id = user.pk
        self.session_key = self.scope.get("session_key")
        # The user's own group too: `session.ended` closes this socket when its log-in ends.
        self.queue_groups = [*groups, user_group(user.pk)]
        for name in self.queue_groups:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for name in getattr(self, "queue_groups", []):
            await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Read-only socket: ignore anything a client sends.
        return

    async def decode_json(self, text_data):  # never crash on junk from the client
        return None

    async def _still_in(self) -> bool:
        refusal = await _refusal(self.user_id, self.session_key)
        if refusal is None:
            return True
        await self.send_json(refusal.frame())
        await self.close(code=CLOSE_UNAUTHENTICATED)
        return False

    async def queue_event(self, message):
        # Each hint re-checks the log-in, so an ended session hears nothing more even if the
        # message that should have closed it was lost.
        if await self._still_in():
            await self.send_json(message["event"])

    async def user_event(self, message):
        if (message.get("event") or {}).get("type") == UserEvent.SESSION_ENDED:
            await self._still_in()

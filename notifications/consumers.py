"""The bell's websocket: pushes the unread count to every open page of one member."""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.security import CLOSE_UNAUTHENTICATED, socket_refusal_by_id
from realtime.consumers import NoDatabaseHopPerFrame
from realtime.events import UserEvent
from realtime.names import user_group

from .selectors import unread_count

log = logging.getLogger(__name__)

FORWARDED = {UserEvent.NOTIFICATION_CREATED, UserEvent.NOTIFICATION_READ}
CLOSE_TRY_AGAIN = 1013  # the channel layer is down: bell.js retries with backoff


class NotificationConsumer(NoDatabaseHopPerFrame, AsyncJsonWebsocketConsumer):
    """Thin: joins the member's own channel group and forwards bell events with the count.

    Other inner event types on the same group (membership.revoked, ...) belong to chat and
    are ignored here. Clients send nothing; anything they send is ignored.
    """

    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.session_key = self.scope.get("session_key")
        try:
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        except Exception:  # the page still works; the count is right on the next load
            log.warning("bell: channel layer failed joining the user group", exc_info=True)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.group_name = user_group(user.pk)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self._unread()})

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except Exception:  # groups expire on their own
                log.warning("bell: channel layer failed leaving the user group", exc_info=True)

    async def receive_json(self, content, **kwargs) -> None:
        return None

    async def decode_json(self, text_data):  # never crash on junk from the client
        return None

    async def user_event(self, message: dict) -> None:
        event = message.get("event") or {}
        kind = event.get("type")
        if kind not in FORWARDED and kind != UserEvent.SESSION_ENDED:
            return
        # Every event re-checks the log-in (with the count, in one trip to the database), so
        # an ended session's socket gets nothing more even if its own message was lost.
        refusal, unread = await self._check_and_count()
        if refusal is not None:
            await self.send_json(refusal.frame())
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if kind == UserEvent.SESSION_ENDED:
            return
        frame = {"type": kind, "unread": unread}
        if kind == UserEvent.NOTIFICATION_CREATED:
            frame.update(
                {
                    "title": str(event.get("title", ""))[:200],
                    "url": str(event.get("url", "")),
                    "urgent": bool(event.get("urgent", False)),
                }
            )
        await self.send_json(frame)

    @database_sync_to_async
    def _unread(self) -> int:
        return unread_count(user_id=self.user_id)

    @database_sync_to_async
    def _check_and_count(self):
        refusal = socket_refusal_by_id(self.user_id, self.session_key)
        return refusal, (unread_count(user_id=self.user_id) if refusal is None else 0)

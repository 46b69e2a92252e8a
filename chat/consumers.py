"""The chat websocket: thin. It parses nothing itself (chat.protocol does), delivers room
events strictly in sequence (dropping duplicates, filling gaps from the database), and heals
itself: it re-joins its channel groups and re-checks permission periodically, and closes with a
retriable code if the channel layer fails instead of staying open and deaf."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from . import presence, protocol
from .events import encode, room_group, user_group

log = logging.getLogger(__name__)

TYPING_THROTTLE_SECONDS = 3.0
MAX_PENDING = 500


class ChatConsumer(AsyncWebsocketConsumer):
    session: protocol.Session | None = None

    async def connect(self) -> None:
        self.session = None
        self.resumed = False
        self.sent_seq = 0
        self.pending: list[tuple[int | None, str]] = []
        self.overflowed = False
        self.last_typing = 0.0
        self.loop_task: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.closing = False
        await self.accept()
        slug = self.scope.get("url_route", {}).get("kwargs", {}).get("slug", "")
        try:
            result = await database_sync_to_async(protocol.connect)(self.scope.get("user"), slug)
        except Exception:
            log.exception("chat connect failed")
            await self._close(protocol.CLOSE_RETRY)
            return
        if isinstance(result, int):
            await self._close(result)
            return
        self.session = result
        if not await self._join_groups():
            return
        self.loop_task = asyncio.ensure_future(self._housekeeping())
        await self._presence(True)

    async def disconnect(self, code: int) -> None:
        if self.loop_task is not None:
            self.loop_task.cancel()
        if self.session is None:
            return
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(
                room_group(self.session.room_id), self.channel_name
            )
            await self.channel_layer.group_discard(
                user_group(self.session.user_id), self.channel_name
            )
        with contextlib.suppress(Exception):
            await self._presence(False)

    async def _close(self, code: int) -> None:
        if self.closing:
            return
        self.closing = True
        if self.loop_task is not None and self.loop_task is not asyncio.current_task():
            self.loop_task.cancel()
        await self.close(code=code)

    async def _join_groups(self) -> bool:
        assert self.session is not None
        try:
            await self.channel_layer.group_add(room_group(self.session.room_id), self.channel_name)
            await self.channel_layer.group_add(user_group(self.session.user_id), self.channel_name)
        except Exception:
            log.warning("channel layer failed joining groups; closing to retry", exc_info=True)
            await self._close(protocol.CLOSE_RETRY)
            return False
        return True

    async def _group_send(self, message: dict[str, Any]) -> None:
        assert self.session is not None
        try:
            await self.channel_layer.group_send(room_group(self.session.room_id), message)
        except Exception:
            log.warning("channel layer send failed; closing to retry", exc_info=True)
            await self._close(protocol.CLOSE_RETRY)

    async def _send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=encode(frame))

    # --- client frames ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None or self.closing:
            return
        try:
            await self._receive(text_data, bytes_data)
        except Exception:  # nothing a client sends may take the socket down
            log.exception("chat receive failed")
            with contextlib.suppress(Exception):
                await self._send_frame(
                    protocol.error_frame(
                        "server_error", "Something went wrong on our side. Please try again."
                    )
                )

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        assert self.session is not None
        try:
            frame = protocol.parse(text_data, bytes_data)
        except protocol.ProtocolError as e:
            await self._send_frame(protocol.error_frame(e.code, e.message, e.client_id))
            return
        ftype = frame["type"]
        if ftype == "ping":
            await self._send_frame({"type": "pong"})
            return
        if ftype == "typing":
            now = time.monotonic()
            if now - self.last_typing < TYPING_THROTTLE_SECONDS:
                return
            self.last_typing = now
        outcome = await database_sync_to_async(protocol.handle)(self.session, frame)
        if ftype == "hello" and outcome.resumed_head is not None:
            async with self.lock:
                for f in outcome.frames:
                    await self._send_frame(f)
                self.sent_seq = outcome.resumed_head
                self.resumed = True
                pending, self.pending = self.pending, []
                overflowed, self.overflowed = self.overflowed, False
            if overflowed:
                await self._fill_gap()
            for seq, text in pending:
                await self._deliver(seq, text)
        else:
            for f in outcome.frames:
                await self._send_frame(f)
        if ftype == "typing" and not outcome.frames:
            s = self.session
            await self._group_send(
                {
                    "type": "chat.typing",
                    "user_id": s.user_id,
                    "text": encode({"type": "typing", "user": {"id": s.user_id, "name": s.name}}),
                }
            )
        if outcome.close_code:
            await self._close(outcome.close_code)

    # --- room events, in sequence -------------------------------------------------------------

    async def room_event(self, message: dict[str, Any]) -> None:
        if self.session is None or self.closing:
            return
        private = message.get("private") or {}
        text = private.get(str(self.session.user_id)) or message.get("text")
        if not isinstance(text, str):
            return
        seq = message.get("seq")
        if not self.resumed:
            if len(self.pending) >= MAX_PENDING:
                self.pending.clear()
                self.overflowed = True
            self.pending.append((seq, text))
            return
        await self._deliver(seq, text)

    async def _deliver(self, seq: int | None, text: str) -> None:
        if seq is None:
            await self.send(text_data=text)
            return
        if seq <= self.sent_seq:
            return  # a duplicate, or already sent by a resume
        if seq > self.sent_seq + 1:
            await self._fill_gap()  # a broadcast was lost or overtaken: the log has it
            if seq <= self.sent_seq:
                return
        async with self.lock:
            if seq <= self.sent_seq:
                return
            await self.send(text_data=text)
            self.sent_seq = seq

    async def _fill_gap(self) -> None:
        assert self.session is not None
        async with self.lock:
            frames = await database_sync_to_async(protocol.handle)(
                self.session, {"type": "hello", "last_seq": self.sent_seq}
            )
            for f in frames.frames:
                if f.get("type") == "resume.done":
                    continue
                await self._send_frame(f)
            if frames.resumed_head is not None:
                self.sent_seq = max(self.sent_seq, frames.resumed_head)
            if frames.close_code:
                await self._close(frames.close_code)

    # --- ephemeral: typing and presence --------------------------------------------------------

    async def chat_typing(self, message: dict[str, Any]) -> None:
        if self.session and message.get("user_id") != self.session.user_id and not self.closing:
            await self.send(text_data=message["text"])

    async def chat_presence(self, message: dict[str, Any]) -> None:
        if self.session and not self.closing:
            await self.send(text_data=message["text"])

    async def _presence(self, present: bool) -> None:
        assert self.session is not None
        s = self.session
        members = await database_sync_to_async(presence.presence_update)(
            room_id=s.room_id,
            channel=self.channel_name,
            user_id=s.user_id,
            name=s.name,
            present=present,
        )
        text = encode({"type": "presence", "members": members})
        await self._group_send({"type": "chat.presence", "text": text})

    # --- the server telling this user something ------------------------------------------------

    async def user_event(self, message: dict[str, Any]) -> None:
        if self.session is None or self.closing:
            return
        event = message.get("event") or {}
        etype = event.get("type")
        group_id = event.get("group_id")
        mine = group_id in (None, self.session.group_id)
        if etype == "membership.revoked":
            if group_id == self.session.group_id or (
                group_id is None
                and not await database_sync_to_async(protocol.still_allowed)(self.session)
            ):
                await self._close(protocol.CLOSE_FORBIDDEN)
        elif etype == "membership.muted" and group_id == self.session.group_id:
            await self._send_frame({"type": "muted", "until": event.get("until")})
        elif etype == "support.offer" and mine:
            await self._send_frame({"type": "support.offer"})

    # --- housekeeping: heartbeat, permission re-check, group refresh ---------------------------

    async def _housekeeping(self) -> None:
        cfg = settings.VILLAGE
        beat = float(cfg["CHAT_HEARTBEAT_SECONDS"])
        recheck = float(cfg["CHAT_RECHECK_SECONDS"])
        last_check = time.monotonic()
        try:
            while not self.closing:
                await asyncio.sleep(beat)
                assert self.session is not None
                if time.monotonic() - last_check >= recheck:
                    last_check = time.monotonic()
                    ok = await database_sync_to_async(protocol.still_allowed)(self.session)
                    if not ok:
                        await self._close(protocol.CLOSE_FORBIDDEN)
                        return
                    if not await self._join_groups():  # Redis may have forgotten us
                        return
                head = await database_sync_to_async(protocol.room_head)(self.session)
                if self.resumed and head > self.sent_seq:
                    await self._fill_gap()
                await self._send_frame({"type": "heartbeat", "head": head})
                s = self.session
                await database_sync_to_async(presence.presence_update)(
                    room_id=s.room_id,
                    channel=self.channel_name,
                    user_id=s.user_id,
                    name=s.name,
                    present=True,
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("chat housekeeping failed; closing to retry", exc_info=True)
            with contextlib.suppress(Exception):
                await self._close(protocol.CLOSE_RETRY)

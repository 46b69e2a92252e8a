"""The chat websocket: thin. It parses nothing itself (chat.protocol does), delivers room
events strictly in sequence (dropping duplicates, holding early ones briefly, filling gaps from
the database), and heals itself: it closes with a retriable code if the channel layer fails
and stays open through a Redis outage (the room's heartbeat then reads the database).

Sockets do not talk to the channel layer one by one: chat.fanout subscribes each server process
once per room and once per user, hands every socket the broadcast's ready-made text, and runs
the room's heartbeat, presence and permission re-check for all of the process's sockets in the
room at once. A client that stops reading never holds that fanout up: a send that has to wait
is finished by the socket's own writer task, and what waits for it is capped (MAX_OUTBOX).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from typing import Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from accounts.security import session_refusal
from config import outage
from config.village import village
from core import metrics
from realtime.consumers import NoDatabaseHopPerFrame
from realtime.events import Topic, UserEvent, changes_access
from realtime.names import room_group, room_layer
from realtime.sender import encode

from . import fanout, protocol

log = logging.getLogger(__name__)

TYPING_THROTTLE_SECONDS = 3.0
# Frames one socket may send in a burst, and its sustained rate: VILLAGE["CHAT_FRAME_BURST"]
# and ["CHAT_FRAMES_PER_SECOND"] (config/village.py; config/socketlimits.py has the per-member
# limits of each frame type).
#: How long a close waits for frames already handed to a slow socket's writer.
CLOSE_FLUSH_SECONDS = 1.0
MAX_PENDING = 500
#: Frames that may wait for a socket whose client stopped reading (its send is stuck); one
#: more and they are dropped and the socket closed as "try again later": it resumes by seq.
MAX_OUTBOX = 500

_socket_ids = itertools.count(1)


class ChatConsumer(NoDatabaseHopPerFrame, AsyncWebsocketConsumer):
    session: protocol.Session | None = None

    async def __call__(self, scope, receive, send):
        """Like Channels' consumer, but without a channel-layer channel per socket: chat.fanout
        delivers to it directly, and a failing layer can then never crash the socket with 1011."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = f"chat.socket.{id(self):x}.{next(_socket_ids)}"
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:  # one socket, one source: no helper task and no wait() per frame
                await self.dispatch(await receive())

    async def connect(self) -> None:
        self.session = None
        self.presence_key = self.channel_name
        self.resumed = False
        self.sent_seq = 0
        self.held: dict[int, str] = {}  # early room events, by seq, until the gap closes
        self.overflowed = False
        self.filling = False
        self.writing = False
        self.gap_timer: asyncio.TimerHandle | None = None
        self.outbox: list[str] = []  # small: most sockets are idle
        self.sending = False
        self.writer: asyncio.Task | None = None  # only while a client is slow to read
        self.last_typing = 0.0
        self.tokens = float(village("CHAT_FRAME_BURST"))
        self.tokens_at = time.monotonic()
        self.closing = False
        self.room_sub: fanout.RoomSubscription | None = None
        self.user_sub: fanout.Subscription | None = None
        self.recheck_at = time.monotonic() + float(village("CHAT_RECHECK_SECONDS"))
        await self.accept()
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        try:
            result = await fanout.db_read(protocol.connect)(
                self.scope.get("user"),
                kwargs.get("slug", ""),
                self.scope.get("session_key"),
                checkin_id=kwargs.get("checkin"),
            )
        except protocol.DATABASE_DOWN as exc:  # the client retries with backoff
            outage.down(protocol.DATABASE, exc)
            await self._close(protocol.CLOSE_RETRY)
            return
        except Exception:
            log.exception("chat connect failed")
            await self._close(protocol.CLOSE_RETRY)
            return
        if isinstance(result, int):
            await self._close(result)
            return
        self.session = result
        if self.channel_layer is None:
            await self._close(protocol.CLOSE_RETRY)
            return
        try:
            self.room_sub, self.user_sub = await fanout.hub_for(self.channel_layer).join(self)
        except Exception:
            log.warning("channel layer failed joining groups; closing to retry", exc_info=True)
            await self._close(protocol.CLOSE_RETRY)
            return
        if self.closing:  # closed while joining
            self._leave()
            return
        # The socket is checked and joined: it no longer needs the user (the session keeps
        # its id; config/wsauth.py already left out the handshake headers and login session).
        self.scope.pop("user", None)
        self.room_sub.presence(self, True)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        if self.writer is not None:
            self.writer.cancel()
        self._leave()

    def _leave(self) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        room, self.room_sub = getattr(self, "room_sub", None), None
        user, self.user_sub = getattr(self, "user_sub", None), None
        if room is not None:
            room.presence(self, False)  # announced, then the subscription may stop
            room.remove(self)
        if user is not None:
            user.remove(self)

    async def _close(self, code: int) -> None:
        if self.closing:
            return
        with contextlib.suppress(Exception):
            await self._flush()  # e.g. the error frame that explains the close
            writer = getattr(self, "writer", None)
            if writer is not None:  # a send had to wait: the frames go first, then the close
                await asyncio.wait_for(asyncio.shield(writer), CLOSE_FLUSH_SECONDS)
        self.closing = True
        await self._send_close(code)

    async def _send_close(self, code: int) -> None:
        try:
            await self.close(code=code)
        except Exception:
            # daphne (autobahn) lets an application close only with 1000 or 3000-4999: there
            # "try again later" is 4013 (clients reconnect on anything but 4401/4403).
            await self.close(code=protocol.CLOSE_RETRY_APP if code < 3000 else 1000)

    async def close_retry(self) -> None:
        await self._close(protocol.CLOSE_RETRY)

    async def close_forbidden(self) -> None:
        await self._close(protocol.CLOSE_FORBIDDEN)

    async def close_refused(self, code: int) -> None:
        """Close after a failed re-check: 4403 (not allowed here) or 4401 (log-in ended)."""
        if code == protocol.CLOSE_UNAUTHENTICATED:
            with contextlib.suppress(Exception):
                await self._send_frame(session_refusal().frame())
        await self._close(code)

    # --- sending, strictly in order -------------------------------------------------------------

    async def push_text(self, text: str) -> None:
        if self.closing:
            return
        self.outbox.append(text)
        await self._flush()

    async def _flush(self) -> None:
        """Send the outbox, in order. A send normally completes at once; one that has to wait
        (the client stopped reading and the server's buffers for it are full) is finished by a
        task of this socket's own, so the caller, often the room's fanout serving every socket
        of the process, is never held up by one slow client."""
        if self.sending:  # the running flush sends it, in order
            if len(self.outbox) > MAX_OUTBOX and not self.closing:
                self._overflow()
            return
        self.sending = True
        handed_over = False
        try:
            while self.outbox and not self.closing:
                step = self.base_send({"type": "websocket.send", "text": self.outbox.pop(0)})
                steps = step.__await__()
                try:
                    waiting_on = steps.send(None)
                except StopIteration:
                    continue  # sent without waiting: the usual case
                self.writer = asyncio.ensure_future(self._keep_flushing(steps, waiting_on))
                handed_over = True
                return
        finally:
            if not handed_over:
                self.sending = False

    async def _keep_flushing(self, steps, waiting_on) -> None:
        """The rest of a flush whose send had to wait: that send, then the outbox."""
        try:
            await _Resumed(steps, waiting_on)
            while self.outbox and not self.closing:
                await self.base_send({"type": "websocket.send", "text": self.outbox.pop(0)})
        except Exception:  # the client went away meanwhile; its disconnect follows
            log.info("chat send to a slow socket failed", exc_info=True)
        finally:
            self.sending = False
            self.writer = None

    def _overflow(self) -> None:
        """MAX_OUTBOX frames wait for a client that is not reading: drop them and close as
        "try again later". It resumes from its last seq (the room's log has everything)."""
        self.outbox.clear()
        self.held.clear()
        log.info("chat socket not reading; closed to resume later")
        # Closing from now on: nothing more is queued behind the dropped frames (the client
        # would see a gap), and the close goes after what the writer is sending.
        self.closing = True
        asyncio.ensure_future(self._send_close(protocol.CLOSE_RETRY))

    async def _send_frame(self, frame: dict[str, Any]) -> None:
        await self.push_text(encode(frame))

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

    def _flooding(self) -> bool:
        """A per-socket token bucket, before anything else (parsing, Redis, the database): a
        script that floods one socket is refused at once, for free."""
        now = time.monotonic()
        burst = village("CHAT_FRAME_BURST")
        rate = village("CHAT_FRAMES_PER_SECOND")
        self.tokens = min(burst, self.tokens + (now - self.tokens_at) * rate)
        self.tokens_at = now
        if self.tokens < 1:
            return True
        self.tokens -= 1
        return False

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        assert self.session is not None
        if self._flooding():
            metrics.refused("socket_flood")
            await self._send_frame(protocol.rate_limited_frame(1))
            return
        try:
            frame = protocol.parse(text_data, bytes_data)
        except protocol.ProtocolError as e:
            await self._send_frame(protocol.error_frame(e.code, e.message, e.client_id))
            return
        ftype = frame["type"]
        if ftype == "ping":
            await self.push_text('{"type":"pong"}')
            return
        if ftype == "typing":
            now = time.monotonic()
            if now - self.last_typing < TYPING_THROTTLE_SECONDS:
                return
            self.last_typing = now
        if ftype == "hello":
            await self._hello(frame)
            return
        if ftype in protocol.CACHED_FRAMES:
            outcome = await fanout.db_read(protocol.handle)(self.session, frame)
        else:  # writes: live events wait until the ack is out
            self.writing = True
            try:
                outcome = await fanout.db_write(protocol.handle)(self.session, frame)
                for f in outcome.frames:
                    self.outbox.append(encode(f))
            finally:
                self.writing = False
            await self._release()
            outcome.frames = []
        for f in outcome.frames:
            await self._send_frame(f)
        if ftype == "typing" and not outcome.frames:
            s = self.session
            try:
                await room_layer().group_send(
                    room_group(s.room_id),
                    {
                        "type": "chat.typing",
                        "user_id": s.user_id,
                        "text": encode(
                            {"type": "typing", "user": {"id": s.user_id, "name": s.name}}
                        ),
                    },
                )
            except Exception as exc:  # typing is a nicety: while Redis is away, nobody sees it
                outage.down(fanout.LAYER, exc)
        if outcome.close_code:
            await self._close(outcome.close_code)

    async def _hello(self, frame: dict[str, Any]) -> None:
        assert self.session is not None
        was_resumed, self.resumed = self.resumed, False  # hold live events meanwhile
        try:
            outcome = await fanout.db_read(protocol.handle)(self.session, frame)
        except BaseException:
            self.resumed = was_resumed
            raise
        if outcome.resumed_head is not None:
            reset = bool(outcome.frames) and outcome.frames[0].get("type") == "reset"
            metrics.CHAT_HELLOS.labels(outcome="reset" if reset else "resumed").inc()
            for f in outcome.frames:
                self.outbox.append(encode(f))
            self.sent_seq = outcome.resumed_head
            self.resumed = True
        else:
            self.resumed = was_resumed
            for f in outcome.frames:
                self.outbox.append(encode(f))
        await self._release()
        if outcome.close_code:
            await self._close(outcome.close_code)

    # --- room events, in sequence -------------------------------------------------------------

    async def room_event(self, message: dict[str, Any]) -> None:
        if self.session is None or self.closing:
            return
        private = message.get("private")
        text = (private and private.get(str(self.session.user_id))) or message.get("text")
        if not isinstance(text, str):
            return
        seq = message.get("seq")
        if message.get("kind") == "room.updated":
            self.session.forget_access()  # e.g. slow mode: read the room afresh
            protocol.forget_room(self.session.group_id)
        if seq is None:
            await self.push_text(text)
            return
        if seq <= self.sent_seq and self.resumed:
            return  # a duplicate, or already sent by a resume
        if not self.live or seq != self.sent_seq + 1:
            self._hold(seq, text)
            if self.live:
                self._watch_gap()
            return
        self.sent_seq = seq
        self.outbox.append(text)
        if self.held:
            self._drain_held()
        await self._flush()

    @property
    def live(self) -> bool:
        """Live room events go straight out (else they are held, by seq): not while resuming,
        filling a gap, or handling a write (its ack goes before its broadcast)."""
        return self.resumed and not self.filling and not self.writing

    def _hold(self, seq: int, text: str) -> None:
        if len(self.held) >= MAX_PENDING:
            self.held.clear()
            self.overflowed = True
        self.held[seq] = text

    def _drain_held(self) -> None:
        """Move held events that are now next in line to the outbox."""
        held = self.held
        for s in [s for s in held if s <= self.sent_seq]:
            del held[s]
        nxt = self.sent_seq + 1
        while nxt in held:
            self.outbox.append(held.pop(nxt))
            self.sent_seq = nxt
            nxt += 1

    async def _release(self) -> None:
        """After a resume or a fill: send what was held, and ask the log about what is missing."""
        if self.live:
            self._drain_held()
        await self._flush()
        if self.live:
            if self.overflowed:
                self.overflowed = False
                await self._fill_gap()
            elif self.held:
                self._watch_gap()

    def _watch_gap(self) -> None:
        """An event arrived early: wait a moment for the missing ones (usually just overtaken
        in flight), then ask the database."""
        if self.gap_timer is None and not self.closing:
            self.gap_timer = asyncio.get_running_loop().call_later(fanout.gap_wait(), self._gap_due)

    def _gap_due(self) -> None:
        self.gap_timer = None
        if self.held and self.live and not self.closing and min(self.held) > self.sent_seq + 1:
            asyncio.ensure_future(self._fill_gap())

    def expect(self, head: int) -> None:
        """The room had committed up to `head` a moment ago: fill if we are still behind."""
        if self.live and not self.closing and self.sent_seq < head:
            asyncio.ensure_future(self._fill_gap())

    async def heartbeat(self, head: int, text: str) -> None:
        if self.closing or self.session is None:
            return
        if self.live and self.sent_seq < head:
            # The heartbeat goes after the fill, so the client finds nothing missing.
            asyncio.ensure_future(self._fill_then(text))
            return
        await self.push_text(text)

    async def _fill_then(self, text: str) -> None:
        await self._fill_gap()
        await self.push_text(text)

    async def _fill_gap(self) -> None:
        if self.filling or self.closing or self.session is None:
            return
        self.filling = True
        try:
            outcome = await fanout.db_read(protocol.handle)(
                self.session, {"type": "hello", "last_seq": self.sent_seq}
            )
            for f in outcome.frames:
                ftype = f.get("type")
                if ftype == "resume.done":
                    continue
                if ftype == "reset":
                    self.outbox.append(encode(f))
                    self.sent_seq = max(self.sent_seq, f["head"])
                    continue
                seq = f.get("seq")
                if isinstance(seq, int):
                    if seq <= self.sent_seq:
                        continue
                    self.sent_seq = seq
                self.outbox.append(encode(f))
            if outcome.resumed_head is not None:
                self.sent_seq = max(self.sent_seq, outcome.resumed_head)
            if outcome.close_code:
                await self._close(outcome.close_code)
        except Exception:
            log.warning("chat gap fill failed", exc_info=True)
        finally:
            self.filling = False
        await self._release()

    # --- the server telling this user something ------------------------------------------------

    async def user_event(self, message: dict[str, Any]) -> None:
        """A per-user event (realtime.events). Bell events are not for chat: they are ignored
        and keep the permission cache; membership and session events may change what this
        member may do here, so the next frame checks afresh."""
        if self.session is None or self.closing or message.get("topic") == Topic.BELL:
            return
        if changes_access(message):
            self.session.forget_access()
        event = message.get("event") or {}
        etype = event.get("type")
        group_id = event.get("group_id")
        mine = group_id in (None, self.session.group_id)
        if etype == UserEvent.SESSION_ENDED:  # one of the member's log-ins ended: is it ours?
            code = await fanout.db_read(protocol.recheck)(self.session)
            if code is not None:
                await self.close_refused(code)
        elif etype == UserEvent.MEMBERSHIP_REVOKED and mine:
            # 4403, or 4401 if the account itself was closed (its log-ins went with it).
            code = await fanout.db_read(protocol.recheck)(self.session)
            if code is not None or group_id is not None:
                await self.close_refused(code or protocol.CLOSE_FORBIDDEN)
        elif etype == UserEvent.MEMBERSHIP_MUTED and group_id == self.session.group_id:
            await self._send_frame({"type": "muted", "until": event.get("until")})
        elif etype == UserEvent.SUPPORT_OFFER and mine:
            await self._send_frame({"type": "support.offer"})


class _Resumed:
    """Awaiting this carries on an awaitable's iterator that was already stepped once (and
    yielded `waiting_on`): the rest of a send that had to wait, inside the socket's writer."""

    __slots__ = ("steps", "waiting_on")

    def __init__(self, steps, waiting_on):
        self.steps = steps
        self.waiting_on = waiting_on

    def __await__(self):
        steps, yielded = self.steps, self.waiting_on
        while True:
            try:
                value = yield yielded
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # e.g. cancellation: it goes to the send
                try:
                    yielded = steps.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                yielded = steps.send(value)
            except StopIteration as stop:
                return stop.value

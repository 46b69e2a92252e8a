"""Per-process fan-out for chat sockets: one channel-layer subscription per room (and per user)
per server process, not per socket.

A room broadcast therefore costs the channel layer one message per *process* that has sockets
in the room; the process hands the already-serialised text to each of its local sockets. The
room's subscription also runs the room's heartbeat for all its local sockets: one head read per
room per process per beat, presence refreshed and announced in batches (coalesced), and the
periodic permission re-check of every local socket in one database call.

The channel layer is a hint (at-most-once, possibly duplicating): sockets still order, dedupe
and fill gaps from the database by `seq` (chat.consumers). When the layer fails (Redis went
away), the sockets stay open: the subscription goes *offline*, its room's heartbeat reads the
database every `OFFLINE_BEAT_SECONDS` instead (so every socket still gets every event, in order,
from the database, within seconds), and it tries to join the layer again with backoff on its
own. Once it is back, a heartbeat at once fills whatever was missed. Nothing is left open and
deaf, and nobody is sent away (docs/chat-protocol.md, "When Redis is away").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from config import memory, outage
from config.village import village
from core.metrics import query_timer
from realtime.events import USER_EVENT
from realtime.names import room_group, room_layer, user_group
from realtime.sender import LAYER, encode

from . import presence, protocol

if TYPE_CHECKING:  # pragma: no cover
    from .consumers import ChatConsumer

log = logging.getLogger(__name__)

#: Presence changes (joins, leaves) are announced at most this often per room and process.
PRESENCE_DELAY_SECONDS = 0.5


#: Channel-layer commands (joins, presence) a process has in flight at once.
LAYER_CONCURRENCY = 16
#: While the channel layer is away, each room's heartbeat reads the database this often.
OFFLINE_BEAT_SECONDS = 2.0
#: Re-joining the layer after a failure: first wait, and the most it backs off to.
REJOIN_FIRST_SECONDS = 0.5
REJOIN_MAX_SECONDS = 5.0

#: How often a database connection used by chat sockets is health-checked (Django's
#: CONN_HEALTH_CHECKS would otherwise add a `SELECT 1` round trip to every single frame).
HEALTH_CHECK_SECONDS = 5.0


def _tidy_connections() -> None:
    """Channels' database_sync_to_async, but checking each connection's health every few
    seconds (and at once after an error) instead of before every call."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        close_at = conn.close_at
        if (
            conn.errors_occurred
            or now - getattr(conn, "_chat_checked", 0.0) >= HEALTH_CHECK_SECONDS
            or (close_at is not None and now >= close_at)
        ):
            conn.close_if_unusable_or_obsolete()
            conn._chat_checked = now


_QUERY_TIMER = query_timer("default")


def _with_tidy_connections(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        _tidy_connections()
        with connection.execute_wrapper(_QUERY_TIMER):  # core/metrics.py
            return fn(*args, **kwargs)

    return run


def _one_thread() -> bool:
    """SQLite (the embedded default, and the test database) has one writer and locks whole
    tables against readers in other threads: keep Channels' one database thread there."""
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def db_read(fn):
    """Read-only database work off the single thread-sensitive executor (PostgreSQL):
    heartbeats, resumes and gap fills of many sockets run side by side instead of queueing
    behind writes on one thread."""
    return sync_to_async(_with_tidy_connections(fn), thread_sensitive=_one_thread())


def db_write(fn):
    """Writes run on the same pool: each is one short transaction under its room's row lock,
    so writes to different rooms no longer queue behind each other on one thread (a socket
    still sends its own frames one at a time, in order)."""
    return sync_to_async(_with_tidy_connections(fn), thread_sensitive=_one_thread())


def _beat() -> float:
    return float(village("CHAT_HEARTBEAT_SECONDS"))


def _recheck() -> float:
    return float(village("CHAT_RECHECK_SECONDS"))


def gap_wait() -> float:
    """How long a gap may stay open before the database is asked (an in-flight or overtaken
    broadcast usually closes it for free in a few milliseconds)."""
    return min(1.0, _beat())


class Subscription:
    """One channel-layer group joined once by this process, fanned out to local sockets."""

    def __init__(self, hub: Hub, group: str, layer):
        self.hub = hub
        self.group = group
        self.layer = layer  # rooms on the room layer, users on the default one
        self.channel = ""
        self.members: dict[ChatConsumer, None] = {}  # insertion-ordered set
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task | None = None
        self.closed = False
        #: The layer failed: waiting to join it again (`_rejoin`), the database carries on.
        self.offline = False
        self.rejoin_task: asyncio.Task | None = None

    async def start(self) -> None:
        if await self._join():
            self.task = asyncio.ensure_future(self._receive_loop())
        self.ready.set_result(True)

    async def _join(self) -> bool:
        """Join the group on the layer; on failure go offline (and keep trying)."""
        try:
            async with self.hub.layer_slots:
                if not self.channel:
                    self.channel = await self.layer.new_channel()
                await self.layer.group_add(self.group, self.channel)
        except Exception as exc:
            self.go_offline(exc)
            return False
        return True

    async def _receive_loop(self) -> None:
        layer = self.layer
        try:
            while True:
                message = await layer.receive(self.channel)
                await self.dispatch(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.go_offline(exc)

    async def dispatch(self, message: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def refresh(self) -> None:
        """Join the group again (a Redis restart without persistence forgets memberships)."""
        if self.offline:
            return
        try:
            async with self.hub.layer_slots:
                await self.layer.group_add(self.group, self.channel)
        except Exception as exc:
            self.go_offline(exc)

    def go_offline(self, exc: BaseException | None = None) -> None:
        """The layer failed: keep every socket, and try to join again with backoff."""
        if self.closed or self.offline:
            return
        self.offline = True
        outage.down(LAYER, exc)
        current = asyncio.current_task()
        if self.task is not None and self.task is not current and not self.task.done():
            self.task.cancel()
        self.task = None
        self.rejoin_task = asyncio.ensure_future(self._rejoin())

    async def _rejoin(self) -> None:
        wait = REJOIN_FIRST_SECONDS
        while not self.closed:
            await asyncio.sleep(wait * (0.75 + 0.5 * random.random()))
            if self.closed:
                return
            old = self.channel
            try:  # a fresh channel: the old one's messages (if any) are gone with Redis
                async with self.hub.layer_slots:
                    self.channel = await self.layer.new_channel()
                    await self.layer.group_add(self.group, self.channel)
            except Exception:
                wait = min(REJOIN_MAX_SECONDS, wait * 2)
                continue
            if old and old != self.channel:
                with contextlib.suppress(Exception):
                    async with self.hub.layer_slots:
                        await self.layer.group_discard(self.group, old)
            self.offline = False
            self.rejoin_task = None
            outage.up(LAYER)
            self.task = asyncio.ensure_future(self._receive_loop())
            await self.rejoined()
            return

    async def rejoined(self) -> None:
        """Back on the layer (a room heartbeats at once to fill what was missed)."""

    def remove(self, consumer: ChatConsumer) -> None:
        self.members.pop(consumer, None)
        if not self.members:
            self.schedule_stop()

    def schedule_stop(self) -> None:
        if not self.members and not self.closed:
            self.hub.drop(self)
            asyncio.ensure_future(self.stop())

    async def stop(self) -> None:
        if self.closed:
            return
        self.closed = True
        current = asyncio.current_task()
        for task in (self.task, self.rejoin_task):
            if task is not None and task is not current:
                task.cancel()
        if self.channel and not self.offline:
            with contextlib.suppress(Exception):
                async with self.hub.layer_slots:
                    await self.layer.group_discard(self.group, self.channel)


class UserSubscription(Subscription):
    """`user.<id>`: kicks, mutes and support offers for one user's local sockets."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != USER_EVENT:
            return
        for c in list(self.members):
            try:
                await c.user_event(message)
            except Exception:
                log.exception("chat user event failed")


class RoomSubscription(Subscription):
    """`room.<id>`: the room's events, typing and presence, plus its heartbeat."""

    def __init__(self, hub: Hub, group: str, room_id: int):
        super().__init__(hub, group, hub.room_layer)
        self.room_id = room_id
        self.seen = 0  # highest seq received by broadcast
        self.prev_head = 0
        self.presence_pending: dict[str, tuple[int, str] | None] = {}
        self.presence_task: asyncio.Task | None = None
        self.beat_task: asyncio.Task | None = None

    async def start(self) -> None:
        await super().start()
        if not self.closed:
            self.beat_task = asyncio.ensure_future(self._beat_loop())

    async def dispatch(self, message: dict[str, Any]) -> None:
        mtype = message.get("type")
        if mtype == "room.event":
            seq = message.get("seq")
            if isinstance(seq, int) and seq > self.seen:
                self.seen = seq
            for c in list(self.members):
                try:
                    await c.room_event(message)
                except Exception:
                    log.exception("chat room event failed")
        elif mtype in ("chat.typing", "chat.presence"):
            text = message.get("text")
            if not isinstance(text, str):
                return
            author = message.get("user_id")
            for c in list(self.members):
                if mtype == "chat.typing" and c.session and c.session.user_id == author:
                    continue
                try:
                    await c.push_text(text)
                except Exception:
                    log.exception("chat ephemeral frame failed")

    # -- presence: coalesced -------------------------------------------------------------------

    def presence(self, consumer: ChatConsumer, present: bool) -> None:
        s = consumer.session
        if s is None:
            return
        self.presence_pending[consumer.presence_key] = (s.user_id, s.name) if present else None
        if self.presence_task is None or self.presence_task.done():
            self.presence_task = asyncio.ensure_future(self._presence_flush())

    async def _presence_flush(self) -> None:
        await asyncio.sleep(PRESENCE_DELAY_SECONDS)
        while self.presence_pending:
            updates, self.presence_pending = self.presence_pending, {}
            try:
                members = await db_read(presence.presence_apply)(
                    room_id=self.room_id, updates=updates
                )
                text = encode({"type": "presence", "members": members})
                async with self.hub.layer_slots:
                    await self.layer.group_send(
                        self.group, {"type": "chat.presence", "text": text}
                    )
            except Exception as exc:  # presence is a nicety: skip this round
                outage.down(LAYER, exc)
                break
        if not self.members:
            self.schedule_stop()

    def schedule_stop(self) -> None:
        if self.presence_task is not None and not self.presence_task.done():
            return  # the flush stops us once the leave is announced
        super().schedule_stop()

    async def stop(self) -> None:
        if self.beat_task is not None and self.beat_task is not asyncio.current_task():
            self.beat_task.cancel()
        await super().stop()

    # -- heartbeat -----------------------------------------------------------------------------

    async def _beat_loop(self) -> None:
        beat = _beat()
        try:
            while not self.closed:
                await asyncio.sleep(min(beat, OFFLINE_BEAT_SECONDS) if self.offline else beat)
                if self.closed or not self.members:
                    continue
                try:
                    await self._beat()
                except asyncio.CancelledError:
                    raise
                except protocol.DATABASE_DOWN as exc:  # away for a moment: next beat
                    outage.down(protocol.DATABASE, exc)
                except Exception:
                    log.warning("chat heartbeat failed for room %s", self.room_id, exc_info=True)
        except asyncio.CancelledError:
            raise

    async def _beat(self) -> None:
        now = time.monotonic()
        members = list(self.members)
        due = [c for c in members if c.session is not None and c.recheck_at <= now]
        refresh = {
            c.presence_key: (c.session.user_id, c.session.name) for c in members if c.session
        }
        head, allowed = await db_read(_beat_reads)(self.room_id, refresh, [c.session for c in due])
        recheck = _recheck()
        for c in members:
            if c.session is not None:
                c.session.release_if_stale(now)
        for c, code in zip(due, allowed, strict=True):
            c.recheck_at = now + recheck
            if code is not None:
                await c.close_refused(code)
        # What every socket of the room should have by now: what arrived by broadcast, and
        # whatever was already committed at the previous beat (a broadcast still in flight gets
        # one more beat before the database is asked).
        # Offline nothing arrives by broadcast: the database is the only source, so all of it.
        confirmed = head if self.offline else min(head, max(self.seen, self.prev_head))
        self.prev_head = head
        text = encode({"type": "heartbeat", "head": confirmed})
        for c in list(self.members):
            await c.heartbeat(confirmed, text)
        if head > confirmed:
            # Committed but not seen here yet: check once more shortly (a lost last broadcast
            # in an idle room is then caught within about a second, not a whole beat).
            asyncio.get_running_loop().call_later(gap_wait(), self._confirm, head)

    async def beat_now(self) -> None:
        with contextlib.suppress(Exception):
            await self._beat()

    async def rejoined(self) -> None:
        await self.beat_now()

    def go_offline(self, exc: BaseException | None = None) -> None:
        was = self.offline
        super().go_offline(exc)
        if self.offline and not was and not self.closed:
            # Wake the heartbeat from its long sleep: from now on it polls the database.
            current = asyncio.current_task()
            if self.beat_task is not None and self.beat_task is not current:
                self.beat_task.cancel()
            self.beat_task = asyncio.ensure_future(self._beat_loop())

    def _confirm(self, head: int) -> None:
        if self.closed:
            return
        for c in list(self.members):
            c.expect(head)


#: How often each process checks whether Redis restarted (one cache read).
RESTART_CHECK_SECONDS = 2.0
_EPOCH_KEY = "chat:redis-epoch"


def _redis_epoch() -> str | None:
    """A random value kept in the shared cache (the same Redis as the channel layer in
    production): when it changes, Redis was restarted or emptied and forgot every group."""
    from config.sharedcache import shared_cache

    cache = shared_cache()
    if getattr(cache, "degraded", False):  # Redis is away: its epoch is unknown
        return None
    value = cache.get(_EPOCH_KEY)
    if value is None:
        cache.add(_EPOCH_KEY, uuid.uuid4().hex, timeout=None)
        value = cache.get(_EPOCH_KEY)
    return value


def _beat_reads(room_id, refresh, sessions) -> tuple[int, list[int | None]]:
    head = protocol.room_head_id(room_id)
    presence.presence_apply(room_id=room_id, updates=refresh)
    return head, [protocol.recheck(s) for s in sessions]


class Hub:
    """This process's subscriptions on one channel layer."""

    def __init__(self, layer, room_layer=None):
        self.layer = layer
        # Room groups may live on their own layer (realtime.names.room_layer: pub/sub on Redis).
        self.room_layer = room_layer if room_layer is not None else layer
        self.subs: dict[str, Subscription] = {}
        self.maintenance: asyncio.Task | None = None
        # Joins, leaves and presence go to Redis at most this many at a time: a reconnect storm
        # would otherwise open a connection per concurrent command, and the pool keeps them all.
        self.layer_slots = asyncio.Semaphore(LAYER_CONCURRENCY)

    def drop(self, sub: Subscription) -> None:
        if self.subs.get(sub.group) is sub:
            del self.subs[sub.group]
        if not self.subs and self.maintenance is not None:
            self.maintenance.cancel()
            self.maintenance = None

    async def _subscribe(self, group: str, consumer: ChatConsumer, factory) -> Subscription:
        sub = self.subs.get(group)
        if sub is None or sub.closed:
            sub = factory()
            self.subs[group] = sub
            await sub.start()
        else:
            await asyncio.shield(sub.ready)
        if sub.closed:  # stopped meanwhile (its last socket left): start another
            return await self._subscribe(group, consumer, factory)
        sub.members[consumer] = None
        self._ensure_maintenance()
        return sub

    async def join(self, consumer: ChatConsumer) -> tuple[RoomSubscription, Subscription]:
        """Subscribe the socket to its room and its user; raises if the layer fails."""
        s = consumer.session
        assert s is not None
        memory.note_connect()
        rg, ug = room_group(s.room_id), user_group(s.user_id)
        room = await self._subscribe(rg, consumer, lambda: RoomSubscription(self, rg, s.room_id))
        try:
            user = await self._subscribe(
                ug, consumer, lambda: UserSubscription(self, ug, self.layer)
            )
        except Exception:
            room.remove(consumer)
            raise
        return room, user  # type: ignore[return-value]

    def _ensure_maintenance(self) -> None:
        if self.maintenance is None or self.maintenance.done():
            self.maintenance = asyncio.ensure_future(self._maintain())

    async def _maintain(self) -> None:
        """Re-join every group now and then (Redis may have forgotten them), and at once when
        Redis is seen to have restarted empty: then also heartbeat every room at once, so a
        broadcast lost meanwhile is filled from the database within seconds."""
        epoch = None
        next_refresh = time.monotonic() + _recheck() * (0.9 + 0.2 * random.random())
        while self.subs:
            await asyncio.sleep(min(RESTART_CHECK_SECONDS, _recheck()))
            memory.settle()  # a reconnect storm just ended: give its memory back
            if outage.is_down(LAYER):
                # Something in this process failed to reach the layer (a broadcast, a user
                # subscription). The pub/sub layer's receive never says so itself (it retries
                # quietly), so every subscription goes offline: the database carries on.
                for sub in list(self.subs.values()):
                    if not sub.closed and sub.ready.done() and not sub.offline:
                        sub.go_offline()
                continue
            restarted = False
            try:
                seen = await db_read(_redis_epoch)()
            except Exception:
                log.warning("chat: could not read the Redis epoch", exc_info=True)
                seen = None
            if seen is not None:
                restarted = epoch is not None and seen != epoch
                epoch = seen
            if not restarted and time.monotonic() < next_refresh:
                continue
            next_refresh = time.monotonic() + _recheck() * (0.9 + 0.2 * random.random())
            if restarted:
                log.warning("chat: Redis restarted; re-joining %d groups", len(self.subs))
            for sub in list(self.subs.values()):
                if not sub.closed and sub.ready.done() and not sub.offline:
                    await sub.refresh()
            if restarted:
                for sub in list(self.subs.values()):
                    if isinstance(sub, RoomSubscription) and not sub.closed:
                        asyncio.ensure_future(sub.beat_now())


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub_for(layer) -> Hub:
    """The hub of this event loop and layer (tests run many loops and layers in one process)."""
    loop = asyncio.get_running_loop()
    per_loop = _hubs.get(loop)
    if per_loop is None:
        per_loop = _hubs[loop] = weakref.WeakKeyDictionary()
    hub = per_loop.get(layer)
    if hub is None:
        hub = per_loop[layer] = Hub(layer, room_layer())
    return hub

"""Writes in chat rooms. Every durable change goes through `room_event_append`.

Callers (`chat.commands`, for the websocket and the no-JS forms alike; moderation) have
already asked `groups.permissions` whether the actor may take the action; services enforce the
rules that belong to the data (own message, same room, limits) and raise `ChatError` with a
kind message.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.sharedcache import count_hit, shared_cache
from config.text import is_blank
from config.village import village
from core import metrics
from groups.permissions import access_changed
from realtime.events import UserEvent
from realtime.sender import send_to_user_on_commit

from . import checkins, screening
from .events import broadcast_room_on_commit
from .models import Mention, Message, Reaction, ReadMarker, Room, RoomEvent
from .payloads import AUTHOR_FACILITATES, event_frames_for_broadcast

T = RoomEvent.Type


class ChatError(ValidationError):
    """A refused chat action: `code` for machines, `message` in kind, plain words."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None):
        super().__init__(message, code=code)
        self.code = code
        self.text = message
        #: Whole seconds until trying again can work (rate limits).
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.text


def _cfg(name: str) -> Any:
    return village(name)


def room_for_group(group_id: int) -> Room:
    room, _ = Room.objects.get_or_create(group_id=group_id, member=None)
    return room


def checkin_room(room_id: Any) -> Room | None:
    """A private check-in's room (with its group), or None."""
    try:
        pk = int(room_id)
    except (TypeError, ValueError):
        return None
    return Room.objects.checkins().select_related("group").filter(pk=pk).first()


def room_lock(room_id: int) -> Room:
    """Lock the room row. Caller must be inside a transaction."""
    return Room.objects.select_for_update().get(pk=room_id)


_TAKE_SEQ = (  # the table name is our own model's; the id is a parameter
    f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + 1 "  # noqa: S608
    "WHERE id = %s RETURNING last_seq"
)


def room_take_seq(room_id: int) -> int:
    """Lock the room row and take its next sequence number, in one statement.

    Caller must be inside a transaction: the row stays locked until it commits (so sequence
    order is commit order), and a rollback gives the number back (so there are no holes).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("room_take_seq must run inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SEQ, [room_id])
        row = cursor.fetchone()
    if row is None:
        raise Room.DoesNotExist(room_id)
    return int(row[0])


def room_event_append(
    *,
    room: Room,
    type: RoomEvent.Type | str,
    message: Message | None = None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
    broadcast: bool = False,
    seq: int | None = None,
) -> RoomEvent:
    """Give a durable change the room's next sequence number and log it.

    Contract: the caller holds the room lock (`room_lock`) inside the same transaction as the
    change, so sequence order is commit order with no holes; or it took `seq` with
    `room_take_seq` (which locks the row too) in that transaction. With `broadcast=True` the event's
    frames (built from the message's state, per viewer) go to the room after commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("room_event_append must run inside a transaction")
    if seq is None:
        room.last_seq += 1
        Room.objects.filter(pk=room.pk).update(last_seq=room.last_seq)
        seq = room.last_seq
    event = RoomEvent.objects.create(
        room=room,
        seq=seq,
        type=type,
        message=message,
        actor_id=actor_id,
        data=data or {},
    )
    if broadcast:
        public, private = event_frames_for_broadcast(
            type=str(type), seq=event.seq, message=message, data=event.data
        )
        broadcast_room_on_commit(room.pk, public, private)
    return event


# --- limits -----------------------------------------------------------------------------------


def _rate_limit_check(user_id: int) -> None:
    """Per-user limit shared by all of the user's sockets and processes (the shared cache)."""
    count, seconds = _cfg("CHAT_RATE_LIMIT_COUNT"), _cfg("CHAT_RATE_LIMIT_SECONDS")
    now = timezone.now().timestamp()
    window = int(now // seconds)
    if count_hit(f"chat:rate:{user_id}:{window}", seconds + 1) > count:
        metrics.refused("chat_post")
        raise ChatError(
            "rate_limited",
            _("You're sending messages very quickly. Take a breath and try again in a moment."),
            retry_after=max(1, int(seconds - (now % seconds)) + 1),
        )


def _slow_mode_check(room: Room, user_id: int, is_facilitator: bool) -> None:
    seconds = room.slow_mode_seconds
    if not seconds or is_facilitator:
        return
    if not shared_cache().add(f"chat:slow:{room.pk}:{user_id}", 1, timeout=seconds):
        raise ChatError(
            "slow_mode",
            ngettext(
                "Slow mode is on: you can send one message every %(n)s second.",
                "Slow mode is on: you can send one message every %(n)s seconds.",
                seconds,
            )
            % {"n": seconds},
        )


def clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid", _("A message needs some text."))
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    if is_blank(text):
        raise ChatError("empty", _("Your message is empty. Type something first."))
    limit = _cfg("CHAT_MAX_MESSAGE_CHARS")
    if len(text) > limit:
        raise ChatError(
            "too_long",
            _("That message is a little long: please keep it under %(n)s characters.")
            % {"n": limit},
        )
    return text


def _room_message(room: Room, message_id: Any, *, for_update: bool = False) -> Message:
    """A message in this room (ids from other rooms are simply 'not found')."""
    try:
        mid = int(message_id)
    except (TypeError, ValueError):
        raise ChatError("not_found", _("We couldn't find that message.")) from None
    qs = Message.objects.filter(room=room, pk=mid)
    if for_update:
        # Lock only the message row: PostgreSQL refuses FOR UPDATE on the nullable side of
        # the outer joins to author and reply_to.
        qs = qs.select_for_update(of=("self",))
    message = qs.select_related("author", "reply_to__author").first()
    if message is None:
        raise ChatError("not_found", _("We couldn't find that message."))
    return message


# --- sending ------------------------------------------------------------------------------------


@dataclass
class SendResult:
    message: Message
    created: bool
    crisis: bool = False


def _existing(user_id: int, client_id: uuid.UUID) -> Message | None:
    return Message.objects.filter(author_id=user_id, client_id=client_id).first()


def _room_url(room: Room) -> str:
    try:
        if room.is_checkin:
            return reverse("checkins:conversation", kwargs={"pk": room.pk})
        return reverse("chat:room", kwargs={"slug": room.group.slug})
    except NoReverseMatch:
        return ""


def _mentions(message: Message, room: Room, author) -> None:
    from groups.models import Membership
    from notifications.models import Kind
    from notifications.services import notify

    body = message.body.casefold()
    if "@" not in body or room.is_checkin:  # a check-in tells its own people (checkins/)
        return
    candidates = (
        Membership.objects.active()
        .filter(group_id=room.group_id)
        .exclude(user_id=author.pk)
        .values_list("user_id", "user__display_name")
    )
    mentioned = []
    taken: set[int] = set()  # "@Priya K" mentions Priya K, not also Priya
    for uid, name in sorted(candidates, key=lambda c: -len(c[1] or "")):
        if not name:
            continue
        pattern = r"(?<![\w@])@" + re.escape(name.casefold()) + r"(?!\w)"
        starts = {m.start() for m in re.finditer(pattern, body)} - taken
        if starts:
            mentioned.append(uid)
            taken |= starts
    if not mentioned:
        return
    Mention.objects.bulk_create(
        [Mention(message=message, user_id=uid) for uid in mentioned], ignore_conflicts=True
    )
    notify(
        user_ids=mentioned,
        kind=Kind.MENTION,
        title=_("%(name)s mentioned you in %(group)s")
        % {"name": author.public_name, "group": room.group.name},
        url=_room_url(room),
        group_id=room.group_id,
        # Which message, so the email can quote it if the member can still see it then.
        data={"message": message.pk},
    )


def message_send(
    *,
    user,
    room: Room,
    body: Any,
    client_id: Any,
    reply_to_id: Any = None,
    is_facilitator: bool = False,
    card: dict[str, Any] | None = None,
) -> SendResult:
    """Store a message once per (author, client id) and announce it after commit.

    Idempotent even when two sockets send the same client id at once: the second waits on the
    room lock, then finds the first's row (or loses the unique-constraint race and reads it).
    Raises ChatError (kind text) when screening blocks it or a limit is hit. `is_facilitator`
    says the author is an active facilitator of the room's group (no slow mode; their badge).
    """
    try:
        cid = uuid.UUID(str(client_id))
    except (TypeError, ValueError):
        raise ChatError("invalid", _("That message had no valid id. Please try again.")) from None
    try:
        text = clean_body(body)
        reply_to = None
        if reply_to_id not in (None, ""):
            reply_to = _room_message(room, reply_to_id)
            if not visible_to_all(reply_to):
                raise ChatError("not_found", _("We couldn't find the message you're replying to."))
        _slow_mode_check(room, user.pk, is_facilitator)
        _rate_limit_check(user.pk)
        verdict = screening.screen(text, group_id=room.group_id, user_id=user.pk)
        if verdict.action >= screening.Screen.BLOCK:
            raise ChatError(
                "blocked",
                verdict.message
                or _("We couldn't post that message. Please change it and try again."),
            )
    except ChatError:
        # A re-send of a message we already stored (the outbox after a reconnect) is acked,
        # whatever the limits say now. Only refused sends pay for this lookup.
        existing = _existing(user.pk, cid)
        if existing is not None:
            return _same_room(existing, room)
        raise
    state = Message.State.HELD if verdict.action >= screening.Screen.HOLD else Message.State.VISIBLE
    try:
        with transaction.atomic():
            # One statement locks the room and takes the seq. A second send of the same
            # client id (a re-send, or the same instant from another socket) then fails the
            # (author, client_id) unique constraint, rolls back (the seq with it: no hole) and
            # is acked below with the stored message.
            message = Message(
                room=room, author=user, client_id=cid, body=text, reply_to=reply_to, state=state,
                card=card,
            )
            event = _store_new_message(room, message, actor_id=user.pk)
            seq = message.seq
            # A new message has no reactions yet, and the caller knows the author's role: its
            # frames need not ask the database.
            message._prefetched_objects_cache = {"reactions": Reaction.objects.none()}  # type: ignore[attr-defined]
            setattr(message, AUTHOR_FACILITATES, is_facilitator)
            if state == Message.State.VISIBLE:
                _mentions(message, room, user)
                if room.is_checkin:
                    checkins.message_posted(message, room, user)
            screening.after_send(message, verdict)
            _broadcast(room, event, message)
            del message._prefetched_objects_cache  # type: ignore[attr-defined]  # callers may react later
            if verdict.crisis:
                send_to_user_on_commit(
                    user.pk, {"type": UserEvent.SUPPORT_OFFER, "group_id": room.group_id}
                )
    except IntegrityError:
        existing = _existing(user.pk, cid)
        if existing is None:
            raise
        return _same_room(existing, room)
    room.last_seq = max(room.last_seq, seq)
    return SendResult(message=message, created=True, crisis=verdict.crisis)


def _store_new_message(room: Room, message: Message, *, actor_id: int) -> RoomEvent:
    """Take the room's next seq, insert the message and its `message.created` event: the
    first step of a send's transaction (caller holds it open).

    On PostgreSQL that is one statement (`_new_message_sql`: the room's UPDATE ... RETURNING,
    then both INSERTs, in one round trip, without the ORM's per-insert compile); elsewhere
    `room_take_seq`, `save` and `room_event_append`. Both lock the room row until commit, and
    both raise IntegrityError for a second (author, client id).
    """
    if connection.vendor != "postgresql":
        message.seq = room_take_seq(room.pk)
        message.save(force_insert=True)
        return room_event_append(
            room=room, type=T.MESSAGE_CREATED, message=message, actor_id=actor_id, seq=message.seq
        )
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("_store_new_message must run inside a transaction")
    event = RoomEvent(room=room, type=T.MESSAGE_CREATED, actor_id=actor_id, data={})
    sql = _new_message_sql()
    params = [room.pk, *_insert_params(message, _SEQ_ONLY), *_insert_params(event, _SEQ_MESSAGE)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Room.DoesNotExist(room.pk)
    message.pk, message.seq, event.pk = row
    message._state.adding = event._state.adding = False
    message._state.db = event._state.db = connection.alias
    event.seq, event.message = message.seq, message
    return event


_SEQ_ONLY = frozenset({"seq"})
_SEQ_MESSAGE = frozenset({"seq", "message_id"})
_new_message_sql_text: str | None = None


def _insert_columns(model, skip: frozenset[str]) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]


def _insert_params(obj, skip: frozenset[str]) -> list[Any]:
    """What Django's INSERT would send for these fields (defaults and adaptation included)."""
    return [
        f.get_db_prep_save(f.pre_save(obj, True), connection)
        for f in _insert_columns(type(obj), skip)
    ]


def _new_message_sql() -> str:
    """Built once from the models' fields, so a new field is never left out."""
    global _new_message_sql_text
    if _new_message_sql_text is None:
        qn = connection.ops.quote_name

        def cols(model, skip):
            fields = _insert_columns(model, skip)
            return ", ".join(qn(f.column) for f in fields), ", ".join(["%s"] * len(fields))

        m_cols, m_vals = cols(Message, _SEQ_ONLY)
        e_cols, e_vals = cols(RoomEvent, _SEQ_MESSAGE)
        # Only our own models' table and column names go in; every value is a parameter.
        _new_message_sql_text = (
            f"WITH s AS (UPDATE {qn(Room._meta.db_table)} SET last_seq = last_seq + 1 "  # noqa: S608
            "WHERE id = %s RETURNING last_seq), "
            f"m AS (INSERT INTO {qn(Message._meta.db_table)} (seq, {m_cols}) "
            f"VALUES ((SELECT last_seq FROM s), {m_vals}) RETURNING id, seq), "
            f"e AS (INSERT INTO {qn(RoomEvent._meta.db_table)} (seq, message_id, {e_cols}) "
            f"VALUES ((SELECT seq FROM m), (SELECT id FROM m), {e_vals}) RETURNING id) "
            "SELECT m.id, m.seq, e.id FROM m, e"
        )
    return _new_message_sql_text


def visible_to_all(message: Message) -> bool:
    return message.state == Message.State.VISIBLE and message.deleted_at is None


def _same_room(existing: Message, room: Room) -> SendResult:
    if existing.room_id != room.pk:
        raise ChatError("invalid", _("That message id was already used. Please try again."))
    return SendResult(message=existing, created=False)


def _broadcast(room: Room, event: RoomEvent, message: Message | None) -> None:
    public, private = event_frames_for_broadcast(
        type=event.type, seq=event.seq, message=message, data=event.data
    )
    broadcast_room_on_commit(room.pk, public, private)


def _own_live_message(room: Room, user, message_id: Any) -> Message:
    message = _room_message(room, message_id, for_update=True)
    if message.author_id != user.pk:
        raise ChatError("forbidden", _("You can only change your own messages."))
    if message.deleted_at is not None:
        raise ChatError("not_found", _("That message was deleted."))
    if message.state in (Message.State.HIDDEN, Message.State.REMOVED):
        raise ChatError("not_found", _("We couldn't find that message."))
    return message


def message_edit(*, user, room: Room, message_id: Any, body: Any) -> Message:
    text = clean_body(body)
    verdict = screening.screen(text, group_id=room.group_id, user_id=user.pk)
    if verdict.action >= screening.Screen.BLOCK:
        raise ChatError(
            "blocked",
            verdict.message or _("We couldn't save that change. Please reword it and try again."),
        )
    with transaction.atomic():
        locked = room_lock(room.pk)
        message = _own_live_message(locked, user, message_id)
        if message.body == text:
            return message
        message.body = text
        message.card = None  # edited, the text no longer is the card it was
        message.edited_at = timezone.now()
        if verdict.action >= screening.Screen.HOLD:
            message.state = Message.State.HELD
        message.save(update_fields=["body", "card", "edited_at", "state"])
        event = room_event_append(
            room=locked, type=T.MESSAGE_EDITED, message=message, actor_id=user.pk
        )
        screening.after_send(message, verdict)
        _broadcast(locked, event, message)
        if verdict.crisis:
            send_to_user_on_commit(
                user.pk, {"type": UserEvent.SUPPORT_OFFER, "group_id": room.group_id}
            )
    return message


def message_delete(*, user, room: Room, message_id: Any) -> Message:
    with transaction.atomic():
        locked = room_lock(room.pk)
        message = _own_live_message(locked, user, message_id)
        message.deleted_at = timezone.now()
        message.pinned_at = None
        message.save(update_fields=["deleted_at", "pinned_at"])
        Reaction.objects.filter(message=message).delete()
        event = room_event_append(
            room=locked, type=T.MESSAGE_DELETED, message=message, actor_id=user.pk
        )
        _broadcast(locked, event, message)
    return message


def reaction_toggle(*, user, room: Room, message_id: Any, emoji: Any) -> bool:
    """Add or take back a reaction; returns True when it is now on."""
    if emoji not in Reaction.Emoji.values:
        raise ChatError("invalid", _("That reaction isn't one we have."))
    with transaction.atomic():
        locked = room_lock(room.pk)
        message = _room_message(locked, message_id)
        if not visible_to_all(message):
            raise ChatError("not_found", _("We couldn't find that message."))
        deleted, _n = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
        if not deleted:
            Reaction.objects.create(message=message, user=user, emoji=emoji)
        event = room_event_append(
            room=locked,
            type=T.REACTION_CHANGED,
            message=message,
            actor_id=user.pk,
            data={"emoji": emoji},
        )
        _broadcast(locked, event, message)
    return not deleted


def message_pin(*, user, room: Room, message_id: Any, pinned: bool = True) -> Message:
    """Pin or unpin (the caller checked PIN_MESSAGE)."""
    with transaction.atomic():
        locked = room_lock(room.pk)
        message = _room_message(locked, message_id, for_update=True)
        if not visible_to_all(message):
            raise ChatError("not_found", _("We couldn't find that message."))
        if bool(message.pinned_at) == bool(pinned):
            return message
        message.pinned_at = timezone.now() if pinned else None
        message.pinned_by = user if pinned else None
        message.save(update_fields=["pinned_at", "pinned_by"])
        event = room_event_append(
            room=locked,
            type=T.MESSAGE_PINNED if pinned else T.MESSAGE_UNPINNED,
            message=message,
            actor_id=user.pk,
        )
        _broadcast(locked, event, message)
    return message


MAX_SLOW_MODE_SECONDS = 3600


def room_set_slow_mode(*, user, room: Room, seconds: Any) -> Room:
    try:
        n = int(seconds)
    except (TypeError, ValueError):
        raise ChatError("invalid", _("Slow mode needs a number of seconds.")) from None
    if n < 0 or n > MAX_SLOW_MODE_SECONDS:
        raise ChatError("invalid", _("Slow mode can be between 0 seconds and one hour."))
    with transaction.atomic():
        locked = room_lock(room.pk)
        if locked.slow_mode_seconds == n:
            return locked
        locked.slow_mode_seconds = n
        Room.objects.filter(pk=locked.pk).update(slow_mode_seconds=n)
        event = room_event_append(
            room=locked, type=T.ROOM_UPDATED, actor_id=user.pk, data={"slow_mode_seconds": n}
        )
        _broadcast(locked, event, None)
        # Open sockets keep the room row with their permission check: renew the group's
        # access stamp so they read it afresh even if the room.updated broadcast is lost.
        access_changed(group_id=locked.group_id)
    room.slow_mode_seconds = n
    room.last_seq = locked.last_seq
    return locked


def room_mark_read(*, user, room: Room, seq: Any) -> int:
    """Move the member's read marker forward (never back); returns the stored position."""
    try:
        n = int(seq)
    except (TypeError, ValueError):
        raise ChatError("invalid", _("That read position isn't a number.")) from None
    n = max(0, min(n, Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True)[0]))
    marker, created = ReadMarker.objects.get_or_create(
        room=room, user=user, defaults={"last_read_seq": n}
    )
    if not created and marker.last_read_seq < n:
        ReadMarker.objects.filter(pk=marker.pk, last_read_seq__lt=n).update(
            last_read_seq=n, updated_at=timezone.now()
        )
        return n
    return max(marker.last_read_seq, n)


_STATE_EVENT = {
    Message.State.HIDDEN: T.MESSAGE_HIDDEN,
    Message.State.REMOVED: T.MESSAGE_HIDDEN,
    Message.State.VISIBLE: T.MESSAGE_RESTORED,
}


def message_set_state(*, message: Message, state: str, actor) -> Message:
    """Moderation: hide, remove or restore (make visible) a message, logged and broadcast.

    Hiding or removing appends `message.hidden` (frames carry only the id, never the body);
    making it visible again (restore, or approving a held message) appends `message.restored`
    with the message. Setting HELD is refused (only screening holds messages).
    """
    state = Message.State(state)
    if state == Message.State.HELD:
        raise ValueError("messages are held only by screening")
    with transaction.atomic():
        locked = room_lock(message.room_id)
        current = (
            Message.objects.select_for_update(of=("self",))
            .select_related("author", "reply_to__author")
            .get(pk=message.pk)
        )
        if current.state == state:
            return current
        current.state = state
        update = ["state"]
        if state != Message.State.VISIBLE and current.pinned_at:
            current.pinned_at = None
            update.append("pinned_at")
        current.save(update_fields=update)
        event = room_event_append(
            room=locked,
            type=_STATE_EVENT[state],
            message=current,
            actor_id=getattr(actor, "pk", None),
            data={"state": state.value},
        )
        _broadcast(locked, event, current)
    message.state = current.state
    message.pinned_at = current.pinned_at
    return current


# --- privacy ------------------------------------------------------------------------------------


def privacy_export(user) -> list[dict[str, Any]]:
    """What the member wrote anywhere, and the whole of their own private check-ins (what the
    facilitators wrote to them is theirs to keep too; other members' posts are not)."""
    mine = Q(author=user) | Q(room__member=user)
    rows = []
    for m in Message.objects.filter(mine).select_related("room__group", "author").order_by("id"):
        row = {
            "group": m.room.group.name,
            "conversation": "private check-in" if m.room.member_id else "group chat",
            "sent_at": m.created_at.isoformat(),
            "body": m.body,
            "edited_at": m.edited_at.isoformat() if m.edited_at else None,
            "deleted_at": m.deleted_at.isoformat() if m.deleted_at else None,
        }
        if m.author_id != user.pk:
            row["from"] = m.author.public_name if m.author else "Former member"
            if m.deleted_at is not None or m.state != Message.State.VISIBLE:
                row["body"] = ""
        rows.append(row)
    return rows


def privacy_erase(user) -> None:
    # Their private check-ins go with them, both sides (the room's rows cascade).
    Room.objects.checkins().filter(member=user).delete()
    Reaction.objects.filter(user=user).delete()
    Mention.objects.filter(user=user).delete()
    ReadMarker.objects.filter(user=user).delete()
    Message.objects.filter(author=user).update(author=None)

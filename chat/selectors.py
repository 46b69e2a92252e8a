"""Reads the UI needs from chat, with their joins explicit so query counts stay constant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from config.village import village
from groups.models import Membership

from .models import Message, ReadMarker, Room, RoomEvent
from .payloads import AUTHOR_FACILITATES, PLACEHOLDER_STATES, event_frame, message_view


def with_unread(rooms, *, user):
    """`rooms` (a Room queryset) annotated with `unread`: visible messages by others after
    `user`'s read marker. One query when evaluated, however many rooms."""
    marker = ReadMarker.objects.filter(room=OuterRef("pk"), user=user).values("last_read_seq")[:1]
    return rooms.annotate(
        read_seq=Coalesce(Subquery(marker), Value(0), output_field=IntegerField())
    ).annotate(
        unread=Count(
            "messages",
            filter=Q(messages__seq__gt=F("read_seq"))
            & Q(messages__state=Message.State.VISIBLE)
            & Q(messages__deleted_at__isnull=True)
            & ~Q(messages__author=user),
        )
    )


def unread_counts(*, user, group_ids: Iterable[int]) -> dict[int, int]:
    """Unread visible messages by others, per group id, in one query."""
    ids = list(group_ids)
    if not ids or not user.is_authenticated:
        return {}
    rooms = with_unread(Room.objects.group_rooms().filter(group_id__in=ids), user=user)
    return dict(rooms.values_list("group_id", "unread"))


def _author_facilitates(author: str, group: str) -> Exists:
    """In the same query: is the author an active facilitator of the group (role badges)?"""
    return Exists(
        Membership.objects.facilitators().filter(user_id=OuterRef(author), group_id=OuterRef(group))
    )


def _with_joins(qs):
    return (
        qs.select_related("author", "reply_to__author")
        .prefetch_related("reactions")
        .annotate(**{AUTHOR_FACILITATES: _author_facilitates("author_id", "room__group_id")})
    )


def room_messages_for(*, room: Room, viewer_id: int | None):
    """Messages of this room the viewer may see in the room: visible ones, their own held
    ones, and hidden ones (a placeholder, or the author's own copy: `payloads.message_view`).
    Removed messages are gone."""
    q = Q(state=Message.State.VISIBLE) | Q(state__in=PLACEHOLDER_STATES)
    if viewer_id is not None:
        q |= Q(state=Message.State.HELD, author_id=viewer_id)
    return Message.objects.filter(room=room).filter(q)


@dataclass
class MessagePage:
    messages: list[Message]
    has_earlier: bool
    before: int | None


def message_page(
    *, room: Room, viewer_id: int | None, before: Any = None, size: int | None = None
) -> MessagePage:
    """The latest `size` messages (oldest first), or those before message id `before`."""
    size = size or village("CHAT_PAGE_SIZE")
    qs = room_messages_for(room=room, viewer_id=viewer_id)
    try:
        before_id = int(before) if before not in (None, "") else None
    except (TypeError, ValueError):
        before_id = None
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    rows = list(_with_joins(qs.order_by("-id"))[: size + 1])
    has_earlier = len(rows) > size
    rows = rows[:size]
    rows.reverse()
    return MessagePage(messages=rows, has_earlier=has_earlier, before=before_id)


def pinned_messages(*, room: Room) -> list[Message]:
    return list(
        _with_joins(
            Message.objects.filter(
                room=room,
                pinned_at__isnull=False,
                state=Message.State.VISIBLE,
                deleted_at__isnull=True,
            ).order_by("-pinned_at")
        )[:10]
    )


def own_live_message(*, room: Room, user, message_id: Any) -> Message | None:
    """The viewer's own message in this room that they can still change or delete (not
    deleted, hidden or removed); None for anything else, whatever the reason."""
    try:
        mid = int(message_id)
    except (TypeError, ValueError):
        return None
    return (
        Message.objects.filter(room=room, pk=mid, author_id=user.pk, deleted_at__isnull=True)
        .exclude(state__in=(Message.State.HIDDEN, Message.State.REMOVED))
        .first()
    )


def room_head(*, room_id: int) -> int:
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0


def read_position(*, room: Room, user) -> int:
    if not user.is_authenticated:
        return 0
    return (
        ReadMarker.objects.filter(room=room, user=user)
        .values_list("last_read_seq", flat=True)
        .first()
        or 0
    )


def first_unread_id(messages: list[Message], *, read_seq: int, viewer_id: int | None) -> int | None:
    """Where the "new messages" divider goes: the first message by someone else after the
    member's read position, within an already loaded page (no query)."""
    for m in messages:
        if m.seq > read_seq and m.author_id != viewer_id:
            return m.pk
    return None


def events_after(*, room: Room, seq: int, cap: int) -> tuple[list[RoomEvent], bool]:
    """Up to `cap` events after `seq`, in order; and whether there were more than `cap`."""
    qs = (
        RoomEvent.objects.filter(room=room, seq__gt=seq)
        .order_by("seq")
        .select_related("message__author", "message__reply_to__author")
        .prefetch_related(Prefetch("message__reactions"))
        .annotate(
            _facilitates=_author_facilitates("message__author_id", "room__group_id")
        )
    )
    rows: list[RoomEvent] = list(qs[: cap + 1])
    for row in rows:
        if row.message is not None:
            setattr(row.message, AUTHOR_FACILITATES, getattr(row, "_facilitates"))  # noqa: B009
    return rows[:cap], len(rows) > cap


def resume_frames(*, room: Room, viewer_id: int, last_seq: int) -> list[dict[str, Any]]:
    """Everything a client at `last_seq` needs to catch up, in order, ending with
    `resume.done`; or a `reset` with the latest page when it is too far behind.

    The room's head is read first (one small query): a client already at the head (most
    connects) reads no events at all, and one too far behind gets its reset without loading
    the cap's worth of events first."""
    cap = village("CHAT_RESUME_CAP")
    head = room_head(room_id=room.pk)
    if 0 <= last_seq == head:
        return [{"type": "resume.done", "head": head}]
    if 0 <= last_seq < head and head - last_seq <= cap:
        events, too_many = events_after(room=room, seq=last_seq, cap=cap)
        if not too_many:  # (more may have committed since the head was read)
            frames = [
                event_frame(
                    type=e.type, seq=e.seq, message=e.message, data=e.data, viewer_id=viewer_id
                )
                for e in events
            ]
            head = max(head, events[-1].seq if events else head)
            frames.append({"type": "resume.done", "head": head})
            return frames
    # Too far behind, or a position this room never had (ahead of it, or negative).
    head = room_head(room_id=room.pk)
    page = message_page(room=room, viewer_id=viewer_id)
    return [
        {
            "type": "reset",
            "head": head,
            "messages": [message_view(m, viewer_id) for m in page.messages],
            "has_earlier": page.has_earlier,
        }
    ]


def mention_texts(user, message_ids: Iterable[int]) -> dict[int, str]:
    """The text of each of these messages that `user` may still see, by id: visible, not
    deleted, and in a room they may still read (for the batched mention email's snippets;
    registered with notifications.hooks). Two queries."""
    from groups import permissions
    from groups.models import Membership

    messages = list(
        Message.objects.visible()
        .filter(pk__in=list(message_ids), deleted_at__isnull=True, room__member__isnull=True)
        .select_related("room__group")
    )
    groups = {m.room.group_id for m in messages}
    memberships = {
        m.group_id: m for m in Membership.objects.filter(user_id=user.pk, group_id__in=groups)
    }
    return {
        m.pk: m.body
        for m in messages
        if permissions.can(
            user, permissions.Action.READ_CHAT, m.room.group, memberships.get(m.room.group_id)
        )
    }


def message_with_room(message_id) -> Message | None:
    """A message with its room, group and author, or None (groups.permissions.access_message
    decides what the caller may do with it; registered with groups.hooks)."""
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        return None
    return Message.objects.select_related("room__group", "author").filter(pk=pk).first()

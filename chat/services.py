"""Writes in chat rooms. Every durable change goes through `room_event_append`."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .events import broadcast_room_on_commit
from .models import Message, Room, RoomEvent


def room_for_group(group_id: int) -> Room:
    room, _ = Room.objects.get_or_create(group_id=group_id)
    return room


def room_lock(room_id: int) -> Room:
    """Lock the room row. Caller must be inside a transaction."""
    return Room.objects.select_for_update().get(pk=room_id)


def room_event_append(
    *,
    room: Room,
    type: RoomEvent.Type | str,
    message: Message | None = None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
    frame: dict[str, Any] | None = None,
) -> RoomEvent:
    """Give a durable change the room's next sequence number and log it.

    Contract: the caller holds the room lock (`room_lock`) inside the same transaction as the
    change, so sequence order is commit order with no holes. `frame` (without seq) is
    broadcast to the room after commit with the seq added.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("room_event_append must run inside a transaction")
    room.last_seq += 1
    Room.objects.filter(pk=room.pk).update(last_seq=room.last_seq)
    event = RoomEvent.objects.create(
        room=room,
        seq=room.last_seq,
        type=type,
        message=message,
        actor_id=actor_id,
        data=data or {},
    )
    if frame is not None:
        broadcast_room_on_commit(room.pk, {**frame, "type": str(type), "seq": event.seq})
    return event

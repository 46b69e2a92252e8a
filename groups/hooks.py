"""What groups needs from chat, which sits above it, registered by chat at start-up so groups
never imports it:

- `unread_counts(user, group_ids)`: unread messages per group room, for "my groups";
- `load_message(message_id)`: a chat message with its room, group and author (or None), for
  `groups.permissions.access_message`, which decides by the message's room.

Unregistered (chat not installed), there are no unread counts and no messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_unread_counts: Callable[..., dict[int, int]] | None = None
_load_message: Callable[[Any], Any] | None = None


def register(
    *,
    unread_counts: Callable[..., dict[int, int]] | None = None,
    load_message: Callable[[Any], Any] | None = None,
) -> None:
    global _unread_counts, _load_message
    if unread_counts is not None:
        _unread_counts = unread_counts
    if load_message is not None:
        _load_message = load_message


def unread_counts(*, user, group_ids: Iterable[int]) -> dict[int, int]:
    return _unread_counts(user=user, group_ids=group_ids) if _unread_counts else {}


def load_message(message_id: Any):
    return _load_message(message_id) if _load_message else None

"""Live bell updates, many members at once, after commit.

Each member gets their own event (their own notification's title and link), in one batch
through the realtime layer (realtime.sender.send_to_users_now): one event-loop run for the
whole batch, sent only to members with a page open, a bounded number at a time. Pushes are
hints: the database is the truth and the bell heals on the next page load, so a failing layer
is logged once and the rest of the batch is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from realtime.sender import send_to_users_now


def push_to_users(events: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Send each (user_id, event) to that member's open pages. Returns how many were sent."""
    return send_to_users_now(events)

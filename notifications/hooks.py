"""What notifications needs from the apps above it, registered at start-up (as
accounts.privacy is), so notifications never imports them:

- `is_moderator(user)`: whether a member sees the moderators' kinds among their choices
  (groups registers the permission module's answer);
- `mention_snippets(user, message_ids)`: a short start of each mentioned message the member
  may still see, by message id (chat registers it: visible, not deleted, still readable).

Unregistered, the answers are the cautious ones: not a moderator, no snippets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_is_moderator: Callable[[Any], bool] | None = None
_mention_snippets: Callable[[Any, Iterable[int]], dict[int, str]] | None = None


def register(
    *,
    is_moderator: Callable[[Any], bool] | None = None,
    mention_snippets: Callable[[Any, Iterable[int]], dict[int, str]] | None = None,
) -> None:
    global _is_moderator, _mention_snippets
    if is_moderator is not None:
        _is_moderator = is_moderator
    if mention_snippets is not None:
        _mention_snippets = mention_snippets


def is_moderator(user) -> bool:
    return bool(_is_moderator and _is_moderator(user))


def mention_snippets(user, message_ids: Iterable[int]) -> dict[int, str]:
    return _mention_snippets(user, message_ids) if _mention_snippets else {}

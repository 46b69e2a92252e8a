"""Personal links in notification emails and web pushes, built when they are sent (in the
Huey task).

An app registers a builder for a notification kind; the builder gets the notification (its
member, and `data` saying what it is about) and returns (label, absolute url) pairs, e.g.
signed one-tap answers. Builders must not query the database: they run for each email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .models import Notification

log = logging.getLogger(__name__)

Builder = Callable[[Notification], list[tuple[str, str]]]
#: For a push: (action id, short label, absolute url) triples, at most two (what phones show).
PushBuilder = Callable[[Notification], list[tuple[str, str, str]]]
_builders: dict[str, Builder] = {}
_push_builders: dict[str, PushBuilder] = {}


def register(kind: str, builder: Builder, *, push: PushBuilder | None = None) -> None:
    _builders[str(kind)] = builder
    if push is not None:
        _push_builders[str(kind)] = push


def push_actions(note: Notification) -> list[tuple[str, str, str]]:
    """The one-tap answers a push offers as notification buttons (the same endpoints as the
    email's links)."""
    builder = _push_builders.get(note.kind)
    if builder is None or not note.data:
        return []
    try:
        return builder(note)[:2]
    except Exception:  # a broken link builder must not stop the push
        log.exception("could not build push actions for notification %s", note.pk)
        return []


def email_actions(note: Notification) -> list[tuple[str, str]]:
    builder = _builders.get(note.kind)
    if builder is None or not note.data:
        return []
    try:
        return builder(note)
    except Exception:  # a broken link builder must not stop the email
        log.exception("could not build email links for notification %s", note.pk)
        return []

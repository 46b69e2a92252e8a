"""Personal links in notification emails, built when the email is sent (in the Huey task).

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
_builders: dict[str, Builder] = {}


def register(kind: str, builder: Builder) -> None:
    _builders[str(kind)] = builder


def email_actions(note: Notification) -> list[tuple[str, str]]:
    builder = _builders.get(note.kind)
    if builder is None or not note.data:
        return []
    try:
        return builder(note)
    except Exception:  # a broken link builder must not stop the email
        log.exception("could not build email links for notification %s", note.pk)
        return []

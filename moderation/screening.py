"""The screener moderation plugs into chat.screening: watch lists and crisis phrases.

One automaton holds every watch term and crisis phrase. Each process keeps it, with the
version of the lists it was built from, and sending a message reads no table:

- a change to either list (`lists_changed`, connected to their post_save and post_delete)
  drops this process's copy at once and, after commit, bumps the version in the shared cache;
- other processes compare that version at most once every `RECHECK_SECONDS`, so a new term
  applies everywhere within a second;
- if the shared cache can't be read, the copy is rebuilt from the tables instead, and no copy
  is kept longer than `MAX_AGE_SECONDS` (a bump lost while the cache was down heals then).
"""

from __future__ import annotations

import logging
import time
import uuid
from functools import lru_cache

from django.db import transaction
from django.utils.translation import gettext as _

from chat.screening import Screen, Verdict
from config.sharedcache import shared_cache

from . import matching
from .models import CrisisPhrase, WatchTerm

log = logging.getLogger(__name__)

_ACTION = {
    WatchTerm.Action.FLAG: Screen.FLAG,
    WatchTerm.Action.HOLD: Screen.HOLD,
    WatchTerm.Action.BLOCK: Screen.BLOCK,
}
CRISIS = "crisis"


@lru_cache(maxsize=4)
def _matcher(rows: tuple[tuple[str, object], ...]) -> matching.Matcher:
    return matching.build(rows)


VERSION_KEY = "moderation:screening:version"
RECHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0

#: (matcher, the version it was built at, when it was built, when the version was compared)
_copy: tuple[matching.Matcher, object, float, float] | None = None


def current_matcher() -> matching.Matcher:
    global _copy
    now = time.monotonic()
    copy = _copy
    if copy is not None and now - copy[3] < RECHECK_SECONDS:
        return copy[0]
    try:
        version = shared_cache().get(VERSION_KEY)
    except Exception:  # the shared cache is down: trust only the tables
        _copy = None
        return _load_matcher()
    if copy is not None and copy[1] == version and now - copy[2] < MAX_AGE_SECONDS:
        _copy = (copy[0], version, copy[2], now)
        return copy[0]
    matcher = _load_matcher()  # read after the version, so a change in between rebuilds again
    _copy = (matcher, version, now, now)
    return matcher


def forget() -> None:
    """Drop this process's copy of the lists (the next message reads them again)."""
    global _copy
    _copy = None


def _bump() -> None:
    forget()
    try:
        shared_cache().set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        log.warning(
            "screening lists changed but the shared cache is down: other processes "
            "pick the change up within %s s",
            MAX_AGE_SECONDS,
        )


def lists_changed(sender=None, **kwargs) -> None:
    """A watch term or crisis phrase was saved or deleted."""
    forget()
    transaction.on_commit(_bump)


def _load_matcher() -> matching.Matcher:
    terms = WatchTerm.objects.values_list("normalised", "pk", "action")
    phrases = CrisisPhrase.objects.filter(active=True).values_list("normalised", flat=True)
    rows = tuple((n, (pk, action)) for n, pk, action in terms) + tuple(
        (n, (CRISIS, n)) for n in phrases
    )
    return _matcher(rows)


def screen_text(text: str, group_id: int, user_id: int) -> Verdict:
    verdict = Verdict()
    for value in current_matcher().find(text):
        if value[0] == CRISIS:
            verdict = verdict.merge(Verdict(crisis=True))
            continue
        pk, action = value
        screen = _ACTION[action]
        if screen == Screen.BLOCK:
            message = _(
                "This message wasn't sent because it includes words our groups have agreed to "
                "keep out. Your words are still in the box, so you can change them and send again."
            )
        elif screen == Screen.HOLD:
            message = _("Thanks. Your message will appear once a moderator has had a quick look.")
        else:
            message = ""
        verdict = verdict.merge(Verdict(action=screen, message=message, matched=[pk]))
    return verdict

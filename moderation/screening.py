"""The screener moderation plugs into chat.screening: watch lists and crisis phrases.

One automaton holds every watch term and crisis phrase; it is rebuilt only when the lists
change (the rows are read each time: one small query)."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _

from chat.screening import Screen, Verdict

from . import matching
from .models import CrisisPhrase, WatchTerm

_ACTION = {
    WatchTerm.Action.FLAG: Screen.FLAG,
    WatchTerm.Action.HOLD: Screen.HOLD,
    WatchTerm.Action.BLOCK: Screen.BLOCK,
}
CRISIS = "crisis"


@lru_cache(maxsize=4)
def _matcher(rows: tuple[tuple[str, object], ...]) -> matching.Matcher:
    return matching.build(rows)


def current_matcher() -> matching.Matcher:
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

"""The interface chat offers for screening messages, owned by chat so that moderation (a
higher layer) can plug in without chat importing it.

Moderation registers a screener and an after-send hook in its AppConfig.ready():

    from chat import screening
    screening.register_screener(my_screener)      # (text, group_id, user_id) -> Verdict
    screening.register_after_send(my_after_send)  # (message, verdict) -> None, same transaction

`message_send` and `message_edit` call `screen()` before writing: BLOCK raises a kind
ValidationError and nothing is stored (the client keeps the text); HOLD stores the message in
the HELD state (only the author and moderators see it); FLAG stores it visibly. After the
message row exists, still inside the transaction, `after_send()` runs the hooks (raising
reports, urgent safeguarding alerts). If `verdict.crisis`, the author privately gets a
`support.offer` frame (and the no-JS page shows the support panel).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Screen(enum.IntEnum):
    ALLOW = 0
    FLAG = 1
    HOLD = 2
    BLOCK = 3


@dataclass
class Verdict:
    action: Screen = Screen.ALLOW
    #: Shown to the author when blocked or held (kind, plain words).
    message: str = ""
    #: A crisis phrase matched: the author gets the private support panel; never blocks.
    crisis: bool = False
    #: Ids of the watch-list entries that matched (never the text itself).
    matched: list[Any] = field(default_factory=list)

    def merge(self, other: Verdict) -> Verdict:
        worst = self if self.action >= other.action else other
        return Verdict(
            action=worst.action,
            message=worst.message or self.message or other.message,
            crisis=self.crisis or other.crisis,
            matched=[*self.matched, *other.matched],
        )


Screener = Callable[[str, int, int], Verdict]
AfterSend = Callable[[Any, Verdict], None]

_screeners: list[Screener] = []
_after_send: list[AfterSend] = []


def register_screener(fn: Screener) -> None:
    if fn not in _screeners:
        _screeners.append(fn)


def register_after_send(fn: AfterSend) -> None:
    if fn not in _after_send:
        _after_send.append(fn)


def screen(text: str, *, group_id: int, user_id: int) -> Verdict:
    verdict = Verdict()
    for fn in _screeners:
        verdict = verdict.merge(fn(text, group_id, user_id))
    return verdict


def after_send(message: Any, verdict: Verdict) -> None:
    for fn in _after_send:
        fn(message, verdict)

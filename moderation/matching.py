"""The watch-list matcher: plain terms, normalised, matched with Aho-Corasick.

No regular expressions are built from anything a moderator types, so nothing can hang: the
text is normalised in one pass and scanned once through an automaton built from all terms,
which is linear in the length of the text plus the number of matches.

Normalisation (applied to terms and to messages alike):
- lower case, accents stripped (NFKD), apostrophes dropped ("can't" -> "cant");
- common substitutions: 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s;
- anything that is not a letter or digit becomes a word break;
- runs of the same letter collapse to one ("stuuupid" -> "stupid"; so "good" == "god");
- runs of single letters join into one word ("k i l l" -> "kill", "s.p.a.m" -> "spam").
Terms match whole words (or whole runs of words), so "ass" never matches "class".
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SUBSTITUTIONS = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
APOSTROPHES = {"'", "\u2019", "\u2018", "`"}
#: Characters that suggest someone typed a regular expression or wildcard.
PATTERN_CHARS = set("*+?()[]{}|\\^")
MAX_TERM_CHARS = 100


def normalise(text: str) -> str:
    """Return the canonical form: single-spaced words, see the module docstring."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = text.translate(SUBSTITUTIONS)
    words: list[str] = []
    current: list[str] = []
    last = ""
    for ch in text:
        if unicodedata.combining(ch) or ch in APOSTROPHES:
            continue
        if ch.isalnum():
            if ch != last:
                current.append(ch)
            last = ch
        else:
            if current:
                words.append("".join(current))
                current = []
            last = ""
    if current:
        words.append("".join(current))
    # Join runs of single letters: "k i l l" -> "kill".
    joined: list[str] = []
    run: list[str] = []
    for word in words:
        if len(word) == 1:
            run.append(word)
            continue
        if run:
            joined.append(_collapse("".join(run)))
            run = []
        joined.append(word)
    if run:
        joined.append(_collapse("".join(run)))
    return " ".join(joined)


def _collapse(word: str) -> str:
    out = []
    for ch in word:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def validate_term(term: str) -> str:
    """Return the normalised term or raise ValueError with a kind, plain explanation."""
    from django.utils.translation import gettext as _

    term = (term or "").strip()
    if not term:
        raise ValueError(_("Please type a word or phrase."))
    if len(term) > MAX_TERM_CHARS:
        raise ValueError(_("Please keep it to %(n)s characters or fewer.") % {"n": MAX_TERM_CHARS})
    if PATTERN_CHARS & set(term):
        raise ValueError(
            _(
                "Please type a plain word or phrase. Wildcards and pattern characters such as "
                "* + ? ( ) [ ] | \\ are not used: spacing, repeated letters and look-alike "
                "numbers are matched for you."
            )
        )
    normalised = normalise(term)
    if len(normalised.replace(" ", "")) < 2:
        raise ValueError(_("That is too short to match safely. Please use at least two letters."))
    return normalised


@dataclass
class _Node:
    goto: dict[str, int] = field(default_factory=dict)
    fail: int = 0
    out: list[Any] = field(default_factory=list)


class Matcher:
    """Aho-Corasick over normalised terms with word boundaries (a space each side)."""

    def __init__(self, entries: Iterable[tuple[str, Any]]):
        self.nodes: list[_Node] = [_Node()]
        for normalised, value in entries:
            if normalised:
                self._add(f" {normalised} ", value)
        self._build()

    def _add(self, key: str, value: Any) -> None:
        state = 0
        for ch in key:
            nxt = self.nodes[state].goto.get(ch)
            if nxt is None:
                self.nodes.append(_Node())
                nxt = len(self.nodes) - 1
                self.nodes[state].goto[ch] = nxt
            state = nxt
        self.nodes[state].out.append(value)

    def _build(self) -> None:
        queue: deque[int] = deque()
        for nxt in self.nodes[0].goto.values():
            self.nodes[nxt].fail = 0
            queue.append(nxt)
        while queue:
            state = queue.popleft()
            for ch, nxt in self.nodes[state].goto.items():
                queue.append(nxt)
                f = self.nodes[state].fail
                while f and ch not in self.nodes[f].goto:
                    f = self.nodes[f].fail
                cand = self.nodes[f].goto.get(ch, 0)
                self.nodes[nxt].fail = cand if cand != nxt else 0
                self.nodes[nxt].out = self.nodes[nxt].out + self.nodes[self.nodes[nxt].fail].out

    def find(self, text: str, *, already_normalised: bool = False) -> list[Any]:
        """Every value whose term occurs in `text`, each once, in first-seen order."""
        if len(self.nodes) == 1:
            return []
        norm = text if already_normalised else normalise(text)
        found: list[Any] = []
        seen: set[Any] = set()
        state = 0
        nodes = self.nodes
        for ch in f" {norm} ":
            while state and ch not in nodes[state].goto:
                state = nodes[state].fail
            state = nodes[state].goto.get(ch, 0)
            for value in nodes[state].out:
                if value not in seen:
                    seen.add(value)
                    found.append(value)
        return found


def build(entries: Sequence[tuple[str, Any]]) -> Matcher:
    return Matcher(entries)

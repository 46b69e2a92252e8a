"""The watch-list matcher: plain terms, normalised, matched with Aho-Corasick.

No regular expressions are built from anything a moderator types, so nothing can hang: the
text is normalised in one pass and scanned once through an automaton built from all terms,
which is linear in the length of the text (times the handful of automaton states a run of
single letters keeps open, see below) plus the number of matches.

Normalisation (applied to terms and to messages alike):
- lower case, accents and other combining marks stripped (NFKD), format characters such as
  zero-width spaces and bidi controls dropped ("can\u200bt" -> "cant");
- apostrophes, their look-alikes (curly, backtick, acute, modifier letter) and quotation marks
  dropped ("can’t" -> "cant", "can”t" -> "cant");
- common substitutions: 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s, and ! between letters -> i;
- anything else that is not a letter or digit becomes a word break;
- runs of the same letter collapse to one ("stuuupid" -> "stupid"; so "good" == "god");
- runs of single letters join into one word ("k i l l" -> "kill", "s.p.a.m" -> "spam").
Terms match whole words (or whole runs of words), so "ass" never matches "class".

A message is scanned in a slightly richer form: inside a run of single letters each gap may be
a word break or not, and the scan follows both readings at once. So "I c a n ' t go on" reads
as "icant go on", "i cant go on" and every other split, and matches "can't go on" and
"i can't go on" without the pronoun being swallowed. The readings share the automaton's states,
so the scan stays one pass over the text (see `Matcher.find`).
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SUBSTITUTIONS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
#: Dropped wherever they are: inside a word they stand for an apostrophe, around one they
#: only sit next to a word break anyway.
APOSTROPHES = frozenset(
    "'`\u00b4\u02b9\u02bb\u02bc\u02bd\u02c8\ua78c\u2018\u2019\u201a\u201b\u2032\u2035\uff07"
    '"\u201c\u201d\u201e\u201f\u2033\u2036\u3003\uff02\u00ab\u00bb\u2039\u203a'
)
#: Applied before NFKD (which would turn an acute accent into a space and a mark) and again
#: after it (which turns full-width apostrophes and digits into plain ones).
_TABLE = str.maketrans({**SUBSTITUTIONS, **dict.fromkeys(APOSTROPHES)})
#: Blank "letters" (Hangul fillers) that render as nothing: dropped like format characters.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
#: Inside a run of single letters, in the scanned form only: "a word break, or nothing".
SOFT = "\x1f"
#: Characters that suggest someone typed a regular expression or wildcard.
PATTERN_CHARS = set("*+?()[]{}|\\^")
MAX_TERM_CHARS = 100


def normalise(text: str) -> str:
    """Return the canonical form: single-spaced words, see the module docstring."""
    return _join(_words(text), "")


def scan_form(text: str) -> str:
    """The form `Matcher.find` scans: `normalise`, with `SOFT` between the letters of a run
    of single letters instead of nothing, and in place of the word break where one joiner
    ("pay-day", "PAY.DAY", "pay_day") stood between two words."""
    soft: set[int] = set()
    words = _words(text, soft)
    return _join(words, SOFT, soft)


#: Punctuation that, alone between two words, may be joining them ("pay-day" is "payday").
JOINERS = frozenset("-._‐‑‒–·")


def _words(text: str, soft: set[int] | None = None) -> list[str]:
    """The words; if `soft` is given, it gets the index of each word that followed exactly
    one joiner after the previous word."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_TABLE)).translate(_TABLE)
    words: list[str] = []
    current: list[str] = []
    last = ""
    bang = False  # a "!" straight after a letter: an "i" if another letter follows
    gap = ""  # the break characters since the last word
    for ch in text:
        if ch.isalnum():
            if ch >= "\x80" and ch in _INVISIBLE_LETTERS:
                continue
            if not current and gap:
                if soft is not None and words and len(gap) == 1 and gap in JOINERS:
                    soft.add(len(words))
                gap = ""
            if bang:
                bang = False
                if last != "i":
                    current.append("i")
                    last = "i"
            if ch != last:
                current.append(ch)
            last = ch
            continue
        if ch == "!" and current and not bang:
            bang = True
            continue
        if ch >= "\x80" and _is_invisible(ch):
            continue
        bang = False
        if current:
            words.append("".join(current))
            current = []
        gap += ch
        last = ""
    if current:
        words.append("".join(current))
    return words


def _is_invisible(ch: str) -> bool:
    """Marks (accents, variation selectors, keycaps) and format characters (zero-width spaces,
    joiners, soft hyphens, bidi controls): dropped, never a word break."""
    category = unicodedata.category(ch)
    return category[0] == "M" or category == "Cf"


def _join(words: list[str], sep: str, soft: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """Join runs of single letters ("k i l l" -> "k" sep "i" sep "l"), repeats collapsed; a
    word in `soft` follows the previous one with `SOFT` instead of a word break."""
    out: list[str] = []
    run: list[str] = []
    for i, word in enumerate(words):
        if len(word) == 1:
            if not run or run[-1] != word:
                run.append(word)
            continue
        if run:
            out.append(sep.join(run))
            run = []
        if out and i in soft:
            out.append(SOFT + word)
        else:
            out.append(word)
    if run:
        out.append(sep.join(run))
    return " ".join(out).replace(" " + SOFT, SOFT)


def joinings(normalised: str, most: int = 5) -> list[str]:
    """A term and each way of running its words together ("buy followers", "buyfollowers";
    "payday loan", "paydayloan"): people dodge a list by dropping spaces. Terms of more than
    `most` words are taken as they are."""
    words = normalised.split(" ")
    if len(words) < 2 or len(words) > most:
        return [normalised]
    forms = []
    for mask in range(2 ** (len(words) - 1)):
        parts = [words[0]]
        for i, word in enumerate(words[1:]):
            if mask & (1 << i):
                parts[-1] += word
            else:
                parts.append(word)
        forms.append(" ".join(parts))
    return forms


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
            for form in joinings(normalised) if normalised else ():
                self._add(f" {form} ", value)
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
        """Every value whose term occurs in `text`, each once, in first-seen order.

        `text` is a message, or with `already_normalised` the output of `normalise` or
        `scan_form`. Where the text has a `SOFT` gap, the scan follows both readings (the
        letters joined, or a word break between them) as a set of automaton states: two
        readings that reach the same state behave the same from then on, so the set never
        holds more states than the automaton has and no reading is followed twice."""
        if len(self.nodes) == 1:
            return []
        norm = text if already_normalised else scan_form(text)
        found: list[Any] = []
        seen: set[Any] = set()
        nodes = self.nodes
        if SOFT not in norm:
            state = 0
            for ch in f" {norm} ":
                while state and ch not in nodes[state].goto:
                    state = nodes[state].fail
                state = nodes[state].goto.get(ch, 0)
                for value in nodes[state].out:
                    if value not in seen:
                        seen.add(value)
                        found.append(value)
            return found
        states: dict[int, None] = {0: None}  # ordered, so matches come in a stable order
        for ch in f" {norm} ":
            if ch == SOFT:
                states = {**states, **dict.fromkeys(self._step(s, " ") for s in states)}
            else:
                states = dict.fromkeys(self._step(s, ch) for s in states)
            for state in states:
                for value in nodes[state].out:
                    if value not in seen:
                        seen.add(value)
                        found.append(value)
        return found

    def _step(self, state: int, ch: str) -> int:
        nodes = self.nodes
        while state and ch not in nodes[state].goto:
            state = nodes[state].fail
        return nodes[state].goto.get(ch, 0)


def build(entries: Sequence[tuple[str, Any]]) -> Matcher:
    return Matcher(entries)

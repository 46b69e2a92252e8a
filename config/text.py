"""Small pure helpers for free text that members type: names, messages, notes.

Python's str.strip() and str.split() treat U+200B (zero width space), U+2060 (word joiner),
U+FEFF (byte order mark) and the bidi controls as visible characters, so a name or a message
made only of them passes an "is it empty?" check and shows as nothing at all. These are the
Unicode "format" characters (category Cf); `is_blank` ignores them.
"""

from __future__ import annotations

import unicodedata


def without_format_chars(text: str) -> str:
    """`text` with every format character (Unicode category Cf) taken out."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def is_blank(text: str | None) -> bool:
    """True when nothing visible is left: only spaces, format characters or nothing."""
    return not without_format_chars(text or "").strip()


def collapse_spaces(text: str | None) -> str:
    """One space between words, none at the ends; format characters at the ends go too."""
    words = (text or "").split()
    while words and is_blank(words[0]):
        words.pop(0)
    while words and is_blank(words[-1]):
        words.pop()
    return " ".join(words)

"""Checks on rendered HTML, for tests without the W3C checker (and ARIA references, which it
does not check)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A valid HTML datetime attribute: at most milliseconds (the W3C checker rejects microseconds).
VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (element, id it points at)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for ref in (a.get("aria-describedby") or "").split():
            self.refs.append((f"<{tag} name={a.get('name') or a.get('id')!r}>", ref))


def dangling_describedby(html: str) -> list[str]:
    """Every aria-describedby id that no element in the page has."""
    parser = _Refs()
    parser.feed(html)
    return [f"{element} -> #{ref}" for element, ref in parser.refs if ref not in parser.ids]

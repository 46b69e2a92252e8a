"""Checks on rendered HTML that the W3C checker does not make: ARIA references must resolve."""

from __future__ import annotations

from html.parser import HTMLParser


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

"""Rendering member text safely: escape everything, then make http(s) links clickable."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chat import payloads

register = template.Library()

URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""


def linkify(text: str) -> SafeString:
    """Escape `text` and turn http(s) URLs into links (nothing else is ever markup)."""
    out: list[str] = []
    pos = 0
    for match in URL_RE.finditer(text or ""):
        url = match.group(0)
        trail = ""
        while url and url[-1] in TRAILING:
            trail = url[-1] + trail
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out.append(escape(text[pos : match.start()]))
        out.append(
            f'<a href="{escape(url)}" rel="noopener nofollow ugc" target="_blank">{escape(url)}</a>'
        )
        out.append(escape(trail))
        pos = match.end()
    out.append(escape((text or "")[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


register.filter("chat_linkify", linkify)


@register.filter
def reaction_list(message, user_id) -> list[dict]:
    """[{key, symbol, count, mine}] for the reactions a message has (prefetched)."""
    from chat.models import Reaction

    symbols = dict(Reaction.Emoji.choices)
    counts: dict[str, list[int]] = {}
    for r in sorted(message.reactions.all(), key=lambda r: r.pk):
        counts.setdefault(r.emoji, []).append(r.user_id)
    return [
        {"key": k, "symbol": symbols.get(k, k), "count": len(v), "mine": user_id in v}
        for k, v in counts.items()
    ]


@register.filter
def author_badge(message):
    """The role badge Village shows next to the author's name (chat.payloads.author_badge)."""
    return payloads.author_badge(message)

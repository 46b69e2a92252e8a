"""Plain, warm words for meetup times and places (used in pages, notifications and emails)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote_plus

from django.utils.translation import gettext as _


def clock(dt: datetime) -> str:
    """7pm, 7:30pm, 12 noon."""
    hour12 = dt.hour % 12 or 12
    suffix = "am" if dt.hour < 12 else "pm"
    if dt.minute:
        return f"{hour12}:{dt.minute:02d}{suffix}"
    if dt.hour == 12:
        return _("12 noon")
    return f"{hour12}{suffix}"


def day(dt: datetime) -> str:
    """Tuesday 24 March."""
    return f"{dt:%A} {dt.day} {dt:%B}"


def when(occurrence) -> str:
    start, end = occurrence.local_start, occurrence.local_end
    return f"{day(start)}, {clock(start)} to {clock(end)}"


def map_url(name: str, address: str) -> str:
    query = ", ".join(p for p in (name, address) if p)
    return f"https://www.openstreetmap.org/search?query={quote_plus(query)}" if query else ""


def where_lines(occurrence) -> list[str]:
    lines = []
    if occurrence.venue_name or occurrence.venue_address:
        place = ", ".join(p for p in (occurrence.venue_name, occurrence.venue_address) if p)
        lines.append(_("Where: %(place)s") % {"place": place})
        lines.append(
            _("Map: %(url)s") % {"url": map_url(occurrence.venue_name, occurrence.venue_address)}
        )
    if occurrence.accessibility_notes:
        lines.append(_("Access: %(notes)s") % {"notes": occurrence.accessibility_notes})
    if occurrence.online_url:
        lines.append(_("Join online: %(url)s") % {"url": occurrence.online_url})
    return lines

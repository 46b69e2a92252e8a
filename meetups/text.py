"""Plain, warm words for meetup times and places (used in pages, notifications and emails)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo
from urllib.parse import quote_plus

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from config.timefmt import zone_label


def clock(dt: datetime) -> str:
    """19:00, 19:30: Village's one way of writing a time (TIME_FORMAT, config/formats)."""
    return formats.time_format(dt, "TIME_FORMAT")


def day(dt: datetime) -> str:
    """Tuesday 24 March."""
    return f"{dt:%A} {dt.day} {dt:%B}"


def _zone(tz: tzinfo | str | None) -> tzinfo:
    """The reader's zone: given (a recipient's), or the one the page was activated with."""
    if tz is None:
        return timezone.get_current_timezone()
    if isinstance(tz, str):
        try:
            return zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("Europe/London")
    return tz


def _key(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def start(occurrence, tz: tzinfo | str | None = None) -> datetime:
    """When it starts, on the reader's clock."""
    return occurrence.starts_at.astimezone(_zone(tz))


def differs(occurrence, tz: tzinfo | str | None = None) -> bool:
    """Does the reader live in a different time zone from the meetup's (the group's)?"""
    zone = _zone(tz)
    if _key(zone) == occurrence.time_zone:
        return False
    # Same clock right now (e.g. Europe/Dublin and Europe/London): nothing worth saying.
    return occurrence.starts_at.astimezone(zone).utcoffset() != occurrence.local_start.utcoffset()


def times(occurrence, tz: tzinfo | str | None = None) -> str:
    """19:00–20:30; in another zone, named, with the meetup's own start:
    "20:00–21:30 Paris time (19:00 UK time)"."""
    zone = _zone(tz)
    begin, end = occurrence.starts_at.astimezone(zone), occurrence.ends_at.astimezone(zone)
    span = f"{clock(begin)}–{clock(end)}"
    if not differs(occurrence, zone):
        return span
    return _("%(span)s %(zone)s (%(theirs)s %(their_zone)s)") % {
        "span": span,
        "zone": zone_label(_key(zone)),
        "theirs": clock(occurrence.local_start),
        "their_zone": zone_label(occurrence.time_zone),
    }


def when(occurrence, tz: tzinfo | str | None = None) -> str:
    """Tuesday 24 March, 19:00 to 20:30, on the reader's clock (the zone named when it isn't
    the meetup's)."""
    zone = _zone(tz)
    begin, end = occurrence.starts_at.astimezone(zone), occurrence.ends_at.astimezone(zone)
    text = f"{day(begin)}, {clock(begin)} to {clock(end)}"
    if differs(occurrence, zone):
        text += " " + zone_label(_key(zone))
    return text


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

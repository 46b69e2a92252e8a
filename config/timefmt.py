"""One rule for writing times, shared by the server and the browser.

The server writes times with the named formats in ``config/formats/en_GB/formats.py``, in
the member's own time zone (``accounts.middleware.UserTimezoneMiddleware`` activates it). The
browser gets the same rule in ``<body data-time-rule>``: the zone, those format strings and
the month and day names, and ``static/js/timefmt.js`` follows them letter for letter, so a
live chat message reads exactly like one the page was rendered with."""

from __future__ import annotations

import json
import zoneinfo

from django.utils import formats, timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

# The named formats the browser may ask for (Django's setting names).
CLIENT_FORMATS = ("SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "DATE_FORMAT")


def client_time_rule() -> dict:
    """What static/js/timefmt.js needs to write a time as the server would, right now."""
    return {
        "zone": timezone.get_current_timezone_name(),
        "formats": {name: formats.get_format(name) for name in CLIENT_FORMATS},
        # Django writes "M" as the title-cased three-letter name, "b" as it is.
        "months3": [str(MONTHS_3[m]) for m in range(1, 13)],
        "months": [str(MONTHS[m]) for m in range(1, 13)],
        "days3": [str(WEEKDAYS_ABBR[d]) for d in range(7)],  # Monday first, like Python
        "days": [str(WEEKDAYS[d]) for d in range(7)],
    }


def client_time_rule_json() -> str:
    return json.dumps(client_time_rule(), separators=(",", ":"), ensure_ascii=False)


def zone_label(key: str) -> str:
    """A time zone in plain words, said after a time: "UK time", "Paris time"."""
    if key in ("Europe/London", "GB", "Europe/Belfast"):
        return _("UK time")
    if key in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):
        return _("UTC")
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(place)s time") % {"place": city}


def same_zone(a: str | zoneinfo.ZoneInfo, b: str | zoneinfo.ZoneInfo) -> bool:
    return str(a) == str(b)

"""Village's one way of writing dates and times (British English, 24-hour clock).

Pages use these by name (``{{ when|date:"SHORT_DATETIME_FORMAT" }}``), Python code through
``django.utils.formats.date_format``, and the browser gets the same strings in
``<body data-time-rule>`` (``config.timefmt``), so static/js/timefmt.js writes a live
message's time exactly as the server wrote the page's. Anything not set here falls back to
Django's own en_GB formats."""

TIME_FORMAT = "H:i"  # 16:39
SHORT_DATETIME_FORMAT = "j M, H:i"  # 2 Dec, 16:39 (chat messages)
DATETIME_FORMAT = "j M Y, H:i"  # 2 Dec 2026, 16:39
DATE_FORMAT = "j M Y"  # 2 Dec 2026
MONTH_DAY_FORMAT = "j F"  # 2 December

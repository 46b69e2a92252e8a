"""The template filters every page shares (config/html.py)."""

import datetime as dt


def test_html_datetime_is_utc_to_the_millisecond():
    from zoneinfo import ZoneInfo

    from config.html import html_datetime

    london = dt.datetime(2026, 7, 1, 15, 3, 28, 728656, tzinfo=ZoneInfo("Europe/London"))
    assert html_datetime(london) == "2026-07-01T14:03:28.728Z"
    assert html_datetime(dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)) == "2026-01-01T09:00:00.000Z"
    assert html_datetime(None) == ""

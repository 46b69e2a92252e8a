"""One rule for times: the server's named formats and static/js/timefmt.js write the same
string for the same instant, in the member's time zone."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import formats, timezone

from config.timefmt import client_time_rule, zone_label

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC

INSTANTS = [
    dt.datetime(2026, 12, 2, 16, 39, tzinfo=UTC),  # the example
    dt.datetime(2026, 9, 7, 8, 5, 59, tzinfo=UTC),  # September: Intl says "Sept", Django "Sep"
    dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # a minute before the UK clocks go forward
    dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # and as they do
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the clocks going back
    dt.datetime(2026, 12, 31, 23, 0, tzinfo=UTC),  # midnight in Paris, new year
    dt.datetime(2027, 1, 1, 12, 0, tzinfo=UTC),  # noon
    dt.datetime(2026, 6, 30, 23, 59, 30, tzinfo=UTC),
]
ZONES = ["Europe/London", "Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"]
FORMATS = ["SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "DATE_FORMAT"]


def test_the_server_writes_chat_times_day_month_and_24_hour_clock():
    when = dt.datetime(2026, 12, 2, 16, 39, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        out = Template('{{ t|date:"SHORT_DATETIME_FORMAT" }}').render(Context({"t": when}))
    assert out == "2 Dec, 16:39"
    assert formats.date_format(when, "TIME_FORMAT") == "16:39"


def test_the_rule_names_the_members_zone():
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        rule = client_time_rule()
    assert rule["zone"] == "Europe/Paris"
    assert rule["formats"]["SHORT_DATETIME_FORMAT"] == "j M, H:i"


def _server(when: dt.datetime, zone: str, name: str) -> str:
    return formats.date_format(timezone.localtime(when, zoneinfo.ZoneInfo(zone)), name)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser module")
def test_the_browser_module_writes_exactly_what_the_server_writes():
    cases, expected = [], []
    for zone in ZONES:
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            rule = client_time_rule()
        for when in INSTANTS:
            for name in FORMATS:
                cases.append({"iso": when.isoformat(), "name": name, "rule": rule})
                expected.append(_server(when, zone, name))
    script = (
        "const t = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(c => t.format(c.iso, c.name, c.rule))));"
    )
    result = subprocess.run(
        ["node", "-e", script, str(ROOT / "static" / "js" / "timefmt.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(result.stdout)
    mismatches = [
        (c["iso"], c["rule"]["zone"], c["name"], e, g)
        for c, e, g in zip(cases, expected, got, strict=True)
        if e != g
    ]
    assert not mismatches
    assert "2 Dec, 17:39" in got  # Paris, an hour ahead of London in winter


def test_zones_in_plain_words():
    assert zone_label("Europe/London") == "UK time"
    assert zone_label("Europe/Paris") == "Paris time"
    assert zone_label("America/New_York") == "New York time"

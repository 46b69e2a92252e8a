"""Every link that leaves the site is made by core/urls.py (issue 12: once, not ten times)."""

import re
from pathlib import Path

from core import urls

ROOT = Path(__file__).resolve().parents[1]
APPS = ["accounts", "groups", "chat", "meetups", "moderation", "notifications", "directory",
        "realtime"]


def test_paths_get_the_site_and_full_addresses_stay(settings):
    settings.SITE_URL = "https://village.example.org"
    assert urls.absolute("/groups/x/") == "https://village.example.org/groups/x/"
    assert urls.absolute("https://hub.example.org/") == "https://hub.example.org/"
    assert urls.absolute_reverse("home") == "https://village.example.org/"
    assert urls.site() == "https://village.example.org"


def test_no_app_joins_site_url_itself():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"settings\.SITE_URL", line)
    ]
    assert offenders == []

"""Village as an installable web app, server side (config/pwa.py, config/middleware.py): the
manifest and its icons, the service worker's headers and shell, the offline page, and how
private pages may be kept (Cache-Control, Clear-Site-Data, the per-member id)."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_says_how_to_install_village(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["name"] == "Village"
    assert data["short_name"] == "Village"
    assert data["description"]
    assert data["start_url"] == "/"
    assert data["scope"] == "/"
    assert data["display"] == "standalone"
    # The site's colours: --primary for the bar, --bg for the splash screen.
    css = (ROOT / "static/css/site.css").read_text()
    assert f"--primary: {data['theme_color']};" in css
    assert f"--bg: {data['background_color']};" in css
    seen = set()
    for icon in data["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        body = b"".join(image.streaming_content) if image.streaming else image.content
        width, height = png_size(body)
        assert f"{width}x{height}" == icon["sizes"]
        seen.add((icon["sizes"], icon["purpose"]))
    assert seen == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_every_page_links_the_manifest_and_icons(client, user):
    for who in (None, user):
        if who:
            client.force_login(who)
        html = client.get("/").content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert 'rel="apple-touch-icon"' in html
        assert 'name="theme-color"' in html
        assert re.search(r'<script type="module" src="/static/js/pwa\.js">', html)


def test_favicon_is_there(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\0\0\1\0"  # an icon directory


def test_service_worker_is_served_from_the_root_and_never_cached_long(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'importScripts(CONFIG.push);' in body
    config = json.loads(re.search(r"var CONFIG = (\{.*?\});\n", body).group(1))
    assert config["push"] == "/static/js/sw-push.js"
    assert "/offline/" in config["shell"]
    for name in ("css/site.css", "css/chat.css", "js/chat.js", "js/reconnect.js",
                 "js/timefmt.js", "js/pwa.js", "icons/icon-192.png"):
        assert f"/static/{name}" in config["shell"]
    assert not [url for url in config["shell"] if url.startswith("/static/admin/")]
    # Every file the worker keeps at install is really there (one 404 fails the install).
    for url in config["shell"]:
        assert client.get(url).status_code == 200, url


def test_push_handlers_live_in_their_own_file():
    assert (ROOT / "static/js/sw-push.js").exists()
    worker = (ROOT / "templates/pwa/sw.js").read_text()
    assert "addEventListener(\"push\"" not in worker
    assert "notificationclick" not in worker


def test_worker_version_follows_the_shell_files(settings, tmp_path):
    """A changed stylesheet gives a new worker (so phones replace the cached shell)."""
    from config import pwa

    settings.DEBUG = True  # look again on every call
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: red; }")
    settings.STATICFILES_DIRS = [static]
    before = pwa.worker_config()
    (static / "css" / "site.css").write_text("body { color: blue; }")
    after = pwa.worker_config()
    assert before["shell"] == after["shell"]
    assert before["version"] != after["version"]


def test_offline_page_is_kind_and_shows_nobody(client, user):
    client.force_login(user)
    response = client.get("/offline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You're offline. Your messages will be sent when you're back." in html
    assert user.display_name not in html
    assert user.email not in html
    assert "village-member" not in html
    assert "999" in html


# --- how pages may be kept ------------------------------------------------------------------


def test_anonymous_pages_are_not_marked_private(client, db):
    response = client.get("/")
    assert "private" not in response.get("Cache-Control", "")
    assert "Village-Member" not in response


def test_a_members_pages_are_private_and_carry_an_opaque_member_id(client, member, group):
    client.force_login(member)
    for url in ("/", f"/groups/{group.slug}/chat/", "/me/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"], url
        assert "no-store" not in response["Cache-Control"], url
        key = response["Village-Member"]
        assert re.fullmatch(r"[0-9a-f]{24}", key)
        assert str(member.pk) != key and member.email not in key
        assert f'<meta name="village-member" content="{key}">' in response.content.decode()
    other = UserFactory()
    client.force_login(other)
    assert client.get("/")["Village-Member"] != key


@pytest.mark.parametrize("url", ["/moderation/", "/checkins/", "/moderation/support/"])
def test_safeguarding_pages_are_never_stored(client, moderator, url):
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code in (200, 302), url
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_safeguarding_pages_are_never_stored_even_logged_out(client, db):
    response = client.get("/moderation/terms/")
    assert "no-store" in response["Cache-Control"]


def test_logging_out_clears_this_browser(client, user):
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "Village-Member" not in response
    # Not on other pages, logged in or not.
    assert "Clear-Site-Data" not in client.get("/")
    client.force_login(user)
    assert "Clear-Site-Data" not in client.get("/")


def test_logging_in_does_not_clear_anything(client, user):
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "village-test"}
    )
    assert response.status_code == 302
    assert "Clear-Site-Data" not in response


def test_deleting_the_account_clears_this_browser(client, user):
    client.force_login(user)
    wrong = client.post("/me/delete/", {"password": "not it"})
    assert "Clear-Site-Data" not in wrong
    response = client.post("/me/delete/", {"password": "village-test"})
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_a_csrf_failure_for_a_member_is_private_too(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/me/", {})
    assert response.status_code == 403
    assert "private" in response["Cache-Control"]


# --- static files ---------------------------------------------------------------------------


def _settings_in_a_subprocess(env_extra: dict[str, str]) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_")) and k not in {"DEBUG", "SECRET_KEY"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "x.example.org"})
    env.update(env_extra)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=60,
    ).stdout.strip()  # fmt: skip


def test_production_serves_static_files_compressed_and_fingerprinted():
    prod = _settings_in_a_subprocess({"SECRET_KEY": "s" * 60, "DEBUG": "0"})
    assert prod == "config.storage.StaticStorage"
    dev = _settings_in_a_subprocess({"DEBUG": "1"})
    assert dev == "django.contrib.staticfiles.storage.StaticFilesStorage"
    off = _settings_in_a_subprocess({"SECRET_KEY": "s" * 60, "DEBUG": "0", "STATIC_MANIFEST": "0"})
    assert off == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_facilitator_rooms_are_private(client, group):
    facilitator = MembershipFactory(group=group, role="facilitator").user
    client.force_login(facilitator)
    response = client.get(f"/groups/{group.slug}/chat/")
    assert "private" in response["Cache-Control"]

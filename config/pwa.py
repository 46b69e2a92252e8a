"""Village as an installable web app: the manifest, the service worker at the site root, the
offline page and /favicon.ico (docs/phone.md).

The service worker is served from "/" (not /static/) so that it may control every page; it
is rendered here because it names the fingerprinted static files it keeps for offline use, and
its cache version follows their contents, so a release with a new stylesheet replaces the copy
on every phone.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

# Static folders whose files every page may need offline: the app shell.
SHELL_DIRS = ("css/", "js/", "icons/")
# The push helper's handlers live in this static file; the worker imports it.
PUSH_SCRIPT = "js/sw-push.js"


def member_key(user) -> str:
    """An opaque, stable id for a member, for the browser's per-member offline copies (the
    `village-member` meta tag and the `Village-Member` header). Keyed with SECRET_KEY: it says
    nothing about who the member is and cannot be guessed from their id."""
    return salted_hmac("village.pwa.member", str(user.pk)).hexdigest()[:24]


def _shell_files() -> list[str]:
    """Village's own static files in the shell folders (not the admin's), sorted."""
    names: set[str] = set()
    for finder in finders.get_finders():
        if not isinstance(finder, finders.FileSystemFinder):
            continue
        for name, _storage in finder.list(ignore_patterns=[]):
            name = name.replace("\\", "/")
            if name.startswith(SHELL_DIRS):
                names.add(name)
    return sorted(names)


def _worker_config() -> dict:
    files = _shell_files()
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        with open(finders.find(name), "rb") as fh:
            digest.update(fh.read())
    offline = reverse("pwa:offline")
    digest.update(render_to_string("offline.html").encode())
    return {
        "version": digest.hexdigest()[:12],
        "shell": [static(name) for name in files] + [offline],
        "offline": offline,
        "static": settings.STATIC_URL,
        "push": static(PUSH_SCRIPT),
    }


# In production the files only change with a release (and a restart); in DEBUG every request
# looks again, so a developer's edited stylesheet reaches the worker.
_cached_worker_config = lru_cache(maxsize=1)(_worker_config)


def worker_config() -> dict:
    return _worker_config() if settings.DEBUG else _cached_worker_config()


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    body = render_to_string("pwa/sw.js", {"config": json.dumps(worker_config())})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at most daily anyway; never let a cache make it older.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "id": "/",
        "name": "Village",
        "short_name": "Village",
        "description": _("A safe, warm place for parents and carers in peer-support groups."),
        "lang": "en-GB",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }  # fmt: skip
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/manifest+json; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """The page the worker shows for a page it has no copy of. The same for everyone (it is
    kept once per phone), so it shows nothing about who is logged in."""
    return HttpResponse(render_to_string("offline.html"))


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    with open(finders.find("favicon.ico"), "rb") as fh:
        response = HttpResponse(fh.read(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# The colours of static/css/site.css: --primary (the browser's bar) and --bg (the splash).
THEME_COLOUR = "#0d5c56"
BACKGROUND_COLOUR = "#fdf8f3"

app_name = "pwa"
urlpatterns = [
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("offline/", offline, name="offline"),
    path("favicon.ico", favicon, name="favicon"),
]

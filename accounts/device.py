"""This browser, for safety only: a random first-party cookie, and where accounts log in from.

Ban evasion (moderation/evasion.py) asks whether a new account comes from a browser or an
address a banned account used. Nothing here is ever shown to members or used for anything
else: the cookie is a random value with no meaning, and the sightings keep only keyed hashes of
it and of the IP address (HMAC with the site's secret), never the values themselves. Sightings
go with the account (CASCADE) and are pruned after `SIGHTING_DAYS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

COOKIE = "village_device"
COOKIE_SECONDS = 2 * 365 * 24 * 3600
SIGHTING_DAYS = 180


def _keyed(kind: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def device_of(request) -> str:
    value = getattr(request, "village_device", "") or request.COOKIES.get(COOKIE, "")
    return _keyed("device", value) if value else ""


def ip_of(request) -> str:
    from allauth.core.internal.ratelimit import get_ip  # TRUSTED_PROXY_COUNT-aware

    try:
        ip = get_ip(request)
    except Exception:  # no usable address (a test's forced log-in, a misconfigured proxy)
        return ""
    return _keyed("ip", ip) if ip else ""


def record_sighting(*, request, user) -> None:
    from .models import DeviceSighting

    DeviceSighting.objects.create(user=user, device=device_of(request), ip=ip_of(request))


def prune_sightings() -> int:
    from .models import DeviceSighting

    cutoff = timezone.now() - timedelta(days=SIGHTING_DAYS)
    deleted, _ = DeviceSighting.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None:
        record_sighting(request=request, user=user)


class DeviceCookieMiddleware:
    """Give each browser a random, meaningless cookie (strictly for keeping members safe)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = request.COOKIES.get(COOKIE, "")
        fresh = not (16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum())
        if fresh:
            value = secrets.token_urlsafe(24)
        request.village_device = value
        response = self.get_response(request)
        if fresh:
            response.set_cookie(
                COOKIE,
                value,
                max_age=COOKIE_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

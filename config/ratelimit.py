"""Rate limits on forms over HTTP: one mechanism for every view, and one kind 429 page.

`limit_posts(name)` limits a view's POSTs per member (per network address when logged out) at
the rate `VILLAGE["RATE_LIMITS"][name]` (config.village), counted by django-ratelimit in the default
cache (Redis in production, so every process shares the count). GETs are never limited. A POST
over the limit gets a 429 page that says how long to wait and keeps what the member typed, in a
form that sends it again.

If the cache cannot be reached, the count moves to this process (a LocMemCache of its own)
until it can: each process then allows the rate on its own, which is looser but never "refuse
everyone" and never "no limit at all".
"""

from __future__ import annotations

import logging
import math
import time
from functools import wraps
from http import HTTPStatus

from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from config.village import village
from core import metrics

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Where counts go while the shared cache is unreachable (one per process, thread-safe).
_local = LocMemCache("village-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def wait_text(seconds: float) -> str:
    """ "5 minutes", "1 minute", "30 seconds": how long to wait, rounded up."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def too_many_tries(
    request: HttpRequest,
    *,
    wait: float,
    message: str,
    kept: list | None = None,
    reset_password: bool = False,
) -> HttpResponse:
    """The 429 page: `message` (which should say how long to wait); when `kept` is given, the
    (name, values) pairs of the refused POST in a form that sends them again; with
    `reset_password`, the way to reset it instead."""
    metrics.refused("http")
    context = {
        "message": message,
        "kept": kept,
        "kept_text": _typed_text(kept or []),
        "reset_password": reset_password,
    }
    response = render(request, "429.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/m", "10/h", "30/10m" (django-ratelimit's format) -> (count, seconds)."""
    try:
        count, period = rate.split("/")
        unit = period[-1]
        return int(count), int(period[:-1] or 1) * _PERIODS[unit]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"Not a rate: {rate!r}") from None


def _rate(name: str) -> str:
    try:
        return village("RATE_LIMITS")[name]
    except KeyError:
        raise ImproperlyConfigured(f"VILLAGE['RATE_LIMITS'] has no rate called {name!r}") from None


def _who(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    from allauth.core.internal.ratelimit import get_ip  # behind proxies: TRUSTED_PROXY_COUNT

    return f"ip:{get_ip(request)}"


def _usage_here(group: str, who: str, rate: str) -> dict:
    """A fixed-window count in this process: the fallback while the shared cache is away."""
    limit, period = parse_rate(rate)
    now = int(time.time())
    window_end = now - now % period + period
    key = f"{group}:{who}:{period}:{window_end}"
    if _local.add(key, 1, period + 5):
        count = 1
    else:
        try:
            count = _local.incr(key)
        except ValueError:  # expired between add and incr
            _local.set(key, 1, period + 5)
            count = 1
    return {
        "count": count,
        "limit": limit,
        "should_limit": count > limit,
        "time_left": window_end - now,
    }


def usage(request: HttpRequest, name: str) -> dict:
    """Count this request against the rate called `name`; django-ratelimit's usage dict."""
    group, rate, who = f"village:{name}", _rate(name), _who(request)
    try:
        found = get_usage(
            request, group=group, key=lambda _group, _request: who, rate=rate, increment=True
        )
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # the cache is unreachable (e.g. redis.ConnectionError)
        logger.warning(
            "rate limits: shared cache unavailable (%s); counting in this process",
            type(exc).__name__,
        )
        return _usage_here(group, who, rate)
    if found is None:  # RATELIMIT_ENABLE is off
        return {"count": 0, "limit": 0, "should_limit": False, "time_left": 0}
    if found["limit"] == 0 and found["time_left"] == -1:
        # django-ratelimit's "the cache would not count": not everyone's fault, so not a refusal.
        logger.warning("rate limits: shared cache did not count; counting in this process")
        return _usage_here(group, who, rate)
    return found


def limit_posts(name: str):
    """Limit the view's POSTs to `VILLAGE["RATE_LIMITS"][name]` (config.village) per member (per
    network address when logged out). Put it under `login_required`, so a logged-out visitor
    is sent to log in rather than counted."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                found = usage(request, name)
                if found["should_limit"]:
                    wait = max(1, found["time_left"])
                    kept = _kept(request)
                    message = _("Too many tries for now. Please wait %(wait)s and try again.") % {
                        "wait": wait_text(wait)
                    }
                    return too_many_tries(request, wait=wait, message=message, kept=kept)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _kept(request: HttpRequest) -> list[tuple[str, list[str]]]:
    return [
        (name, values)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken" and "password" not in name
    ]


def _typed_text(kept: list[tuple[str, list[str]]]) -> list[str]:
    """What the member wrote in words (not ids or choices), to show them it is safe."""
    return [value for _name, values in kept for value in values if " " in value.strip()]

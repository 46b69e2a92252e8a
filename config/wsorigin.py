"""The websocket Origin check: a socket's Origin must be the site's own origin.

Channels' AllowedHostsOriginValidator compares only the Origin's host name with ALLOWED_HOSTS,
so `http://host:9999` or `https://host` pass for a site served from `http://host:8301`. Here
the whole origin (scheme, host, port) must equal the one the page was served from: the
request's own Host header with the socket's scheme (ws -> http, wss -> https; X-Forwarded-Proto
only behind a trusted proxy), or SITE_URL, or one of CSRF_TRUSTED_ORIGINS. The Host header must
still be one of ALLOWED_HOSTS.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an http(s) origin, the port filled in; None if it is not one."""
    try:
        parts = urlsplit(value.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin1")
    return None


def _behind_trusted_proxy() -> bool:
    return bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or (
        getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) > 0
    )


def request_scheme(scope) -> str:
    """The scheme the page was served with: the socket's own, or the trusted proxy's word."""
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    if _behind_trusted_proxy():
        header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        name, secure_value = header or ("HTTP_X_FORWARDED_PROTO", "https")
        wire_name = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        forwarded = _header(scope, wire_name)
        if forwarded is not None:
            # A chain of proxies may list several; the first one is what the browser used.
            proto = forwarded.split(",")[0].strip().lower()
            scheme = "https" if proto == secure_value.lower() else "http"
    return scheme


def allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django does for HTTP
    return hosts


def site_origins(scope) -> set[Origin]:
    """The origins this socket may come from; empty if its Host is not one of ours."""
    host = _header(scope, b"host")
    if not host:
        return set()
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, allowed_hosts()):
        return set()
    origins = {parse_origin(f"{request_scheme(scope)}://{host}")}
    origins |= {parse_origin(o) for o in (settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS)}
    return {o for o in origins if o is not None}


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    parsed = parse_origin(origin)
    return parsed is not None and parsed in site_origins(scope)


class SameOriginValidator:
    """ASGI middleware: refuse a websocket handshake unless `origin_allowed`."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator is for websocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        # Clients choose their Origin header: a refusal is worth a note, not an error.
        logger.info("websocket refused: origin is not this site's own")
        return await WebsocketDenier()(scope, receive, send)

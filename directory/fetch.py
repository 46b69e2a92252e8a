"""Reading a feed over HTTP, carefully: https on a public address only (plain http on the
loopback address only with DEBUG on or DIRECTORY_FEED_ALLOW_LOOPBACK), a timeout on every
request, a cap on how much a response may weigh, and a bounded number of redirects, each of
which must pass the same address rules.

The address rules hold for the connection itself, not only for a look-up made beforehand:
`CheckedBackend` resolves the host when httpx connects, checks those addresses and connects to
one of them (TLS still checks the certificate against the host's name). A name that answers
with a public address for a check and an internal one a moment later (DNS rebinding) cannot
make Village connect inside.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from config.village import village
from realtime import reachins


class FeedError(Exception):
    """A feed could not be read; `reason` is a plain phrase for the admin's status line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def loopback_allowed() -> bool:
    return bool(settings.DEBUG or village("DIRECTORY_FEED_ALLOW_LOOPBACK"))


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FeedError("its address could not be found") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_feed_url(url: str) -> None:
    """Raise FeedError unless `url` may be fetched: https to a public address, or (DEBUG /
    DIRECTORY_FEED_ALLOW_LOOPBACK) http or https to the loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FeedError("it is not a web address")
    if parts.username or parts.password:
        raise FeedError("it must not contain a user name or password")
    addresses = _addresses(parts.hostname)
    if _loopback_only(addresses):
        return
    if parts.scheme != "https":
        raise FeedError("it must start with https://")
    _require_public(addresses)


def _loopback_only(addresses) -> bool:
    return bool(addresses) and all(a.is_loopback for a in addresses) and loopback_allowed()


def _require_public(addresses) -> None:
    if not addresses or not all(a.is_global for a in addresses):
        raise FeedError("it is not on a public address")


class CheckedBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, connecting only to addresses that pass the rules."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = _addresses(host)
        if not _loopback_only(addresses):
            _require_public(addresses)  # the scheme was checked with the request
        failure: Exception | None = None
        for address in dict.fromkeys(addresses):
            try:
                return self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError("no address")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("feeds are read over the network only")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _check_request(request: httpx.Request) -> None:
    check_feed_url(str(request.url))  # every redirect hop too


def client() -> httpx.Client:
    timeout = float(village("DIRECTORY_FEED_TIMEOUT_SECONDS"))
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=True,
        max_redirects=5,
        headers={"Accept": "application/json", "User-Agent": "Village directory sync"},
        event_hooks={"request": [_check_request]},
        trust_env=False,  # no proxy from the environment: the address rules apply directly
        transport=reachins.transport_use_backend(
            httpx.HTTPTransport(trust_env=False), CheckedBackend()
        ),
    )


def get_json(http: httpx.Client, url: str, params: dict[str, Any] | None = None) -> Any:
    """GET `url` and parse its JSON, reading at most DIRECTORY_FEED_MAX_BYTES."""
    cap = village("DIRECTORY_FEED_MAX_BYTES")
    try:
        with http.stream("GET", url, params=params) as response:
            if response.status_code != 200:
                raise FeedError(f"the server answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise FeedError("a response was too big")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise FeedError("a response was too big")
    except httpx.TooManyRedirects:
        raise FeedError("it redirected too many times") from None
    except httpx.TimeoutException:
        raise FeedError("the server was too slow") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"the server could not be reached ({type(exc).__name__})") from None
    try:
        return json.loads(bytes(body))
    except (ValueError, UnicodeDecodeError):
        raise FeedError("a response was not valid JSON") from None

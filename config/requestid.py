"""A request id (or socket id) on every log line of that request or websocket.

`RequestIdMiddleware` wraps the whole ASGI application (config/asgi.py): each HTTP request
gets an id, the proxy's X-Request-ID when it sent a sane one (so the proxy's log and ours
match), else a fresh random one, and the response carries it back as X-Request-ID; each
websocket gets "ws-" and a fresh id for its whole life. The id is kept in a context variable,
which asgiref copies into the threads that run views, consumers' database calls and
`sync_to_async`; `RequestIdFilter` puts it on every log record as `request_id` ("-" outside
a request: start-up, Huey jobs). It is random: it says nothing about who is asking.

With LOG_FORMAT=json daphne's own access log (plain text on stdout, written outside any
request) is switched off (config/accesslog.py) and this middleware writes the access line
instead, through logging ("village.access"), so it too is JSON and carries the id.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import time

from django.conf import settings

from config.logfilters import mask_secrets

current = contextvars.ContextVar("village_request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("village.access")


def json_logs() -> bool:
    return getattr(settings, "LOG_FORMAT", "plain") == "json"


def new_id(scope: dict) -> str:
    if scope["type"] == "websocket":
        return "ws-" + secrets.token_hex(8)
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE.match(text):
                return text
    return secrets.token_hex(8)


class RequestIdMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in {"http", "websocket"}:
            return await self.app(scope, receive, send)
        request_id = new_id(scope)
        token = current.set(request_id)
        started = time.monotonic()
        status = [None]

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status[0] = message.get("status")
                headers = [h for h in message.get("headers", ()) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "websocket.accept":
                status[0] = 101
            elif message["type"] == "websocket.close" and status[0] is None:
                status[0] = 403
            await send(message)

        try:
            return await self.app(scope, receive, send_with_id)
        finally:
            if json_logs():
                self.log_access(scope, status[0], time.monotonic() - started)
            current.reset(token)

    @staticmethod
    def log_access(scope: dict, status: int | None, seconds: float) -> None:
        method = scope.get("method", "WEBSOCKET")
        path = mask_secrets(scope.get("path", ""))  # never the query string
        access_log.info(
            "%s %s %s %.0fms", method, path, status or "-", seconds * 1000,
            extra={"status": status, "duration_ms": round(seconds * 1000, 1)},
        )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True

"""Serving and feeding core/metrics.py: the `/metrics` endpoint, and the hooks that count
requests, sockets and jobs.

- `/metrics` answers only a request carrying `Authorization: Bearer <VILLAGE_METRICS_TOKEN>`
  (anything else, or no token configured, is a 404: the endpoint is not there for anyone
  else). Point Prometheus at each machine with that bearer token.
- `MetricsMiddleware` (first in MIDDLEWARE) times every request by its view's name and times
  the request's database queries.
- `SocketMetrics` (around every websocket, config/asgi.py) counts open sockets by kind, the
  frames written to them and the codes they are closed with.
- `watch_jobs()` (config/apps.py) times every Huey job and counts the ones that raise.
- The queue's depth is read when `/metrics` is asked (`HueyQueueCollector`).
"""

from __future__ import annotations

import hmac
import os
import threading
import time

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from core import metrics

# --- the endpoint ---------------------------------------------------------------------------


def _token_ok(request: HttpRequest) -> bool:
    want = getattr(settings, "METRICS_TOKEN", "")
    got = request.headers.get("Authorization", "")
    if not want or not got.startswith("Bearer "):
        return False
    return hmac.compare_digest(got[len("Bearer ") :].strip().encode(), want.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _token_ok(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


_registry_lock = threading.Lock()
_registry: CollectorRegistry | None = None


def registry() -> CollectorRegistry:
    """Every process's numbers (PROMETHEUS_MULTIPROC_DIR), or this process's, plus the queue."""
    global _registry
    with _registry_lock:
        if _registry is None:
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
                from prometheus_client import multiprocess

                _registry = CollectorRegistry()
                multiprocess.MultiProcessCollector(_registry)
            else:
                _registry = REGISTRY
            _registry.register(HueyQueueCollector())
        return _registry


class HueyQueueCollector:
    """Jobs waiting in Huey's queue and scheduled for later, read at scrape time."""

    def collect(self):
        from huey.contrib.djhuey import HUEY

        up = GaugeMetricFamily(
            "village_huey_queue_reachable", "1 if the job queue answered this scrape, else 0."
        )
        try:
            pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
        except Exception:  # Redis away: say so; /readyz says the rest
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "village_huey_pending_jobs", "Jobs waiting to run now.", value=pending
        )
        yield GaugeMetricFamily(
            "village_huey_scheduled_jobs", "Jobs waiting for their time (retries, delays).",
            value=scheduled,
        )


# --- web requests ---------------------------------------------------------------------------


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.timer = metrics.query_timer("default")

    def __call__(self, request: HttpRequest):
        start = time.perf_counter()
        with connection.execute_wrapper(self.timer):
            response = self.get_response(request)
        view = _view_name(request)
        metrics.HTTP_SECONDS.labels(view=view).observe(time.perf_counter() - start)
        status = metrics.status_class(response.status_code)
        metrics.HTTP_REQUESTS.labels(view=view, method=request.method or "", status=status).inc()
        return response


# --- websockets -----------------------------------------------------------------------------

_KINDS = {"groups": "chat", "checkins": "chat", "notifications": "notifications",
          "moderation": "moderation"}
_CODES = {1000, 1001, 1011, 4001, 4003, 4004, 4013, 4029, 4401, 4403, 4404, 4409}


def socket_kind(path: str) -> str:
    """chat (a group's room or a private check-in), notifications (the bell), moderation."""
    parts = path.strip("/").split("/")
    return _KINDS.get(parts[1], "other") if len(parts) > 1 and parts[0] == "ws" else "other"


class SocketMetrics:
    """ASGI middleware for websockets: open sockets, frames out, close codes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = socket_kind(scope.get("path", ""))
        gauge = metrics.SOCKETS_OPEN.labels(kind=kind)
        frames = metrics.SOCKET_FRAMES_SENT.labels(kind=kind)
        opened = False

        async def counting_send(message):
            nonlocal opened
            mtype = message.get("type")
            if mtype == "websocket.send":
                frames.inc()
            elif mtype == "websocket.accept" and not opened:
                opened = True
                gauge.inc()
            elif mtype == "websocket.close":
                code = message.get("code", 1000)
                metrics.SOCKETS_CLOSED.labels(code=str(code) if code in _CODES else "other").inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if opened:
                gauge.dec()


# --- jobs -----------------------------------------------------------------------------------


def watch_jobs() -> None:
    """Time every Huey job this process runs, and count those that raise (not "locked")."""
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    started: dict[str, float] = {}

    @HUEY.pre_execute(name="village-metrics")
    def _start(task) -> None:
        started[task.id] = time.perf_counter()

    @HUEY.post_execute(name="village-metrics")
    def _end(task, task_value, exc) -> None:
        start = started.pop(task.id, None)
        if isinstance(exc, TaskLockedException):
            return  # another consumer is running it
        if start is not None:
            metrics.JOB_SECONDS.labels(job=task.name).observe(time.perf_counter() - start)
        if exc is not None:
            metrics.JOB_FAILURES.labels(job=task.name).inc()

"""What Village counts for its operators: Prometheus metrics (prometheus-client).

Each metric is defined here, once, and moved where the thing happens: a request answered, a
frame written to a socket, a resume, a refusal, a job, an email or a push. config/metrics.py
serves them on the protected `/metrics` endpoint; docs/operations.md lists every metric and
the alert a deployer should set on it.

Labels are small fixed sets (a view's name, a socket's kind, a job's name, an outcome):
never a member, a group, a path with an id in it, or anything a client typed.

Several processes on one machine (daphne ×N, Huey) share one set of numbers when
`PROMETHEUS_MULTIPROC_DIR` names a directory they can all write (the systemd units set it);
prometheus-client then keeps each process's values in a file there, and `/metrics` adds them
up. Without it each process counts for itself (the embedded default: one process).
"""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, multiprocess

_SHARED_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _SHARED_DIR:
    # A missing directory would stop every process at its first metric: make it. At exit,
    # this process's open-socket numbers go (its counters stay in the totals).
    os.makedirs(_SHARED_DIR, exist_ok=True)
    atexit.register(multiprocess.mark_process_dead, os.getpid())

#: Seconds: fine below a tenth (queries, cache calls), coarse above (slow pages, jobs).
_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_PAGE = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOB = (0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

# --- web requests ---------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "village_http_requests_total",
    "HTTP requests answered, by view name, method and status class (2xx, 4xx...).",
    ["view", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "village_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name.",
    ["view"],
    buckets=_PAGE,
)
DB_SECONDS = Histogram(
    "village_db_query_duration_seconds",
    "Time of each database query made by a web request or a socket's database work.",
    ["alias"],
    buckets=_FAST,
)
CACHE_SECONDS = Histogram(
    "village_cache_operation_duration_seconds",
    "Time of each shared-cache (Redis) operation, by where it was answered: redis, or the "
    "process's own copy while Redis is away (fallback).",
    ["answered_by"],
    buckets=_FAST,
)

# --- websockets -----------------------------------------------------------------------------
SOCKETS_OPEN = Gauge(
    "village_websockets_open",
    "Websockets open now, by kind (chat, notifications, moderation); per process.",
    ["kind"],
    multiprocess_mode="liveall",
)
SOCKET_FRAMES_SENT = Counter(
    "village_websocket_frames_sent_total",
    "Frames delivered to websockets (messages, acks, bell events...), by kind.",
    ["kind"],
)
SOCKETS_CLOSED = Counter(
    "village_websocket_closes_total",
    "Websockets the server closed or refused, by close code (4401 logged out, 4013 try "
    "again, 4029 too many...).",
    ["code"],
)
CHAT_HELLOS = Counter(
    "village_chat_hellos_total",
    "Chat sockets catching up after (re)connecting: resumed from the event log, or reset to "
    "the latest page because they were too far behind or new.",
    ["outcome"],
)

# --- limits ---------------------------------------------------------------------------------
RATE_LIMITED = Counter(
    "village_rate_limit_refusals_total",
    "Requests and frames refused for coming too often, by where: http (a form or the log-in), "
    "chat_post (messages), socket_connect, socket_<frame type> (socket_hello, socket_read...), "
    "socket_flood (frames faster than any person types).",
    ["where"],
)

# --- jobs and messages out ------------------------------------------------------------------
JOB_SECONDS = Histogram(
    "village_job_duration_seconds",
    "Time a Huey job ran, by job (its function name: send_missed_you_nudges, ...).",
    ["job"],
    buckets=_JOB,
)
JOB_FAILURES = Counter(
    "village_job_failures_total",
    "Huey jobs that raised, by job.",
    ["job"],
)
EMAILS = Counter(
    "village_emails_total",
    "Notification emails, by outcome (sent, failed: kept to try again).",
    ["outcome"],
)
PUSHES = Counter(
    "village_pushes_total",
    "Web pushes, by outcome (sent, retry, failed, gone: the phone unsubscribed).",
    ["outcome"],
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def query_timer(alias: str) -> Callable:
    """A Django execute wrapper (`connection.execute_wrapper`) timing each query."""
    child = DB_SECONDS.labels(alias=alias)

    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            child.observe(time.perf_counter() - start)

    return wrapper


def refused(where: str) -> None:
    RATE_LIMITED.labels(where=where).inc()

"""/readyz (readiness), on django-health-check; /healthz (liveness, config/urls.py) only says
"ok": the process answers. Nothing else is asked there, so a slow database never gets a healthy
web process restarted.

/readyz: may this process take traffic? PostgreSQL (or SQLite) answers `SELECT 1`, Redis
answers PING when REDIS_URL is set, the Huey queue is not backed up, and the periodic jobs
are running (config.tasks.heartbeat records the time every minute in Huey's own storage,
which every process shares). A JSON body names each check, 200 when all pass, 503 when any
fails. It says only which part failed, never a host name, a password or an error's text.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time

from django.conf import settings
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

HEARTBEAT_KEY = "village:heartbeat"
logger = logging.getLogger(__name__)


def _huey():
    from huey.contrib.djhuey import HUEY

    return HUEY


def record_heartbeat(at: float | None = None) -> None:
    _huey().put(HEARTBEAT_KEY, time.time() if at is None else at)


def last_heartbeat() -> float | None:
    return _huey().get(HEARTBEAT_KEY, peek=True)


@dataclasses.dataclass
class HueyQueue(HealthCheck):
    """Fewer than `max_pending` jobs are waiting: the consumers keep up."""

    max_pending: int = 1000

    def run(self) -> None:
        try:
            pending = _huey().pending_count()
        except Exception as e:
            raise ServiceUnavailable("The job queue did not answer.") from e
        if pending > self.max_pending:
            raise ServiceUnavailable(
                f"{pending} jobs are waiting (more than {self.max_pending}): "
                "add Huey consumers or look for a stuck one."
            )


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """A periodic job ran in the last `max_age_seconds`: a Huey consumer is running."""

    max_age_seconds: int = 300

    def run(self) -> None:
        try:
            at = last_heartbeat()
        except Exception as e:
            raise ServiceUnavailable("The job queue did not answer.") from e
        if at is None:
            raise ServiceUnavailable("No periodic job has run yet: is run_huey running?")
        age = time.time() - float(at)
        if age > self.max_age_seconds:
            raise ServiceUnavailable(
                f"The last periodic job ran {int(age)} seconds ago "
                f"(more than {self.max_age_seconds}): is run_huey running?"
            )


def _redis_client():
    from redis.asyncio import Redis as AsyncRedis

    return AsyncRedis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)


# What a failure says: fixed words for the library's checks (their messages may carry
# connection details); our own checks' messages are written to be safe.
FAILED = {"database": "The database did not answer.", "redis": "Redis did not answer."}


class ReadinessView(HealthCheckView):
    def named_checks(self) -> dict[str, HealthCheck]:
        seconds = datetime.timedelta(seconds=getattr(settings, "VILLAGE_READY_TIMEOUT", 3))
        checks: dict[str, HealthCheck] = {"database": Database()}
        if settings.REDIS_URL:
            checks["redis"] = Redis(client_factory=_redis_client)
        checks["queue"] = HueyQueue(max_pending=settings.VILLAGE_READY_MAX_PENDING_JOBS)
        checks["periodic_jobs"] = Heartbeat(
            max_age_seconds=settings.VILLAGE_READY_HEARTBEAT_SECONDS
        )
        for check in checks.values():
            check.timeout = seconds
        return checks

    async def get(self, request, *args, **kwargs):
        import asyncio

        checks = self.named_checks()
        results = await asyncio.gather(*(c.get_result() for c in checks.values()))
        body = {}
        for name, result in zip(checks, results, strict=True):
            entry = {"ok": result.error is None, "seconds": round(result.time_taken, 3)}
            if result.error is not None:
                own = isinstance(result.check, (HueyQueue, Heartbeat))
                entry["error"] = result.error.message if own else FAILED[name]
            body[name] = entry
        failed = [name for name, entry in body.items() if not entry["ok"]]
        response = JsonResponse(
            {"status": "unavailable" if failed else "ready", "checks": body},
            status=503 if failed else 200,
        )
        if failed:
            # One line, no traceback (the library's own are turned down in LOGGING), and not
            # django.request's ERROR for every 5xx: a probe's answer is not a server error.
            logger.warning("Not ready: %s", ", ".join(failed))
            response._has_been_logged = True
        return response


readyz = ReadinessView.as_view()

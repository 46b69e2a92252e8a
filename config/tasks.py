"""Operations jobs: the heartbeat /readyz looks for (config/health.py)."""

from huey import crontab
from huey.contrib.djhuey import periodic_task

from config import health


@periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Every minute: proof for /readyz that a consumer runs the periodic jobs."""
    health.record_heartbeat()

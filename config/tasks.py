"""Operations jobs: the heartbeat /readyz looks for (config/health.py), and retention."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task, periodic_task

from config import health


@periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Every minute: proof for /readyz that a consumer runs the periodic jobs."""
    health.record_heartbeat()


# --- Retention (config/retention.py): nightly, one lock per job so two consumers never run
# the same one at once; each is idempotent, so a second run finds nothing left to delete.
def _retention(job: str) -> int:
    from config import retention

    return sum(p.deleted for p in retention.JOBS[job]())


@db_periodic_task(crontab(hour="3", minute="10"))
@lock_task("retention-sessions")
def prune_sessions() -> int:
    return _retention("sessions")


@db_periodic_task(crontab(hour="3", minute="20"))
@lock_task("retention-notifications")
def prune_notifications() -> int:
    return _retention("notifications")


@db_periodic_task(crontab(hour="3", minute="30"))
@lock_task("retention-room-events")
def prune_room_events() -> int:
    return _retention("room_events")


@db_periodic_task(crontab(hour="3", minute="40"))
@lock_task("retention-feed-tokens")
def prune_feed_tokens() -> int:
    return _retention("feed_tokens")

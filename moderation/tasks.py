"""Moderation's background jobs (Huey)."""

from __future__ import annotations

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from . import closed


@db_task(retries=3, retry_delay=60)
def send_closed_account_letter(user_id: int, subject: str, text: str) -> bool:
    return closed.send_letter(user_id, subject, text)


@db_periodic_task(crontab(minute="*/2"))
@lock_task("moderation-resend-urgent-alerts")
def resend_urgent_alerts() -> int:
    """Email urgent safeguarding alerts that could not be queued when they were raised (the
    rows were committed with the message; only the queue was down). Claiming rows in
    `send_notification_emails` keeps this from ever sending one twice."""
    from notifications.tasks import send_notification_emails

    from .services import urgent_alerts_unsent

    pks = urgent_alerts_unsent(older_than=timedelta(minutes=2), within=timedelta(days=1))
    return send_notification_emails.call_local(pks) if pks else 0


@db_periodic_task(crontab(minute="*"))
@lock_task("moderation-escalate-urgent-alerts")
def escalate_urgent_alerts() -> int:
    """Remind everyone who can help about urgent items nobody has acted on (15 minutes after,
    then hourly; see `urgent_cases_escalate`)."""
    from django.utils import timezone

    from .services import urgent_cases_escalate

    return urgent_cases_escalate(now=timezone.now())


@db_periodic_task(crontab(minute="7,37"))
@lock_task("moderation-alert-overdue-appeals")
def alert_overdue_appeals() -> int:
    """Tell staff, once, about appeals still undecided past the date the member was given."""
    from django.utils import timezone

    from .services import appeals_overdue_alert

    return appeals_overdue_alert(now=timezone.now())


@db_periodic_task(crontab(minute="23", hour="*/6"))
@lock_task("moderation-groups-needing-facilitator")
def raise_groups_needing_facilitator() -> int:
    """A "this group needs a facilitator" item for each group nobody looks after, once per
    episode (`groups_needing_facilitator_raise`)."""
    from django.utils import timezone

    from .services import groups_needing_facilitator_raise

    return groups_needing_facilitator_raise(now=timezone.now())


@db_periodic_task(crontab(minute="0", hour="9", day_of_week="4"))
@lock_task("moderation-warn-uncovered-shifts")
def warn_uncovered_shifts() -> int:
    """Thursday morning: tell staff about moderator shifts in the next week with nobody on."""
    from django.utils import timezone

    from .services import rota_uncovered_warn

    return rota_uncovered_warn(now=timezone.now())


@db_periodic_task(crontab(minute="23", hour="*/3"))
@lock_task("moderation-refresh-transparency")
def refresh_transparency() -> int:
    """Work out the public transparency page's figures again (moderation/transparency.py)."""
    from .transparency import transparency_refresh

    return transparency_refresh()


@db_periodic_task(crontab(minute="5", hour="8"))
@lock_task("moderation-risk-review-reminders")
def remind_risk_reviews() -> int:
    """Remind staff before a risk in the illegal-harms risk assessment is due for review."""
    from .risks import risk_review_reminders

    return risk_review_reminders()

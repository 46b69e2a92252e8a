"""The periodic jobs: reminders and nudges, in bulk.

Both jobs are set-based end to end: a fixed number of queries reads every candidate meetup,
member, RSVP, opt-out and the attendance history at once; the pure rules decide in memory;
delivery rows go in with one bulk INSERT .. ON CONFLICT DO NOTHING (the unique constraint is
what makes sending exactly-once) and are read back by this run's batch id; then one
`notify_many` creates every notification, and after commit one callback pushes all bell
updates and queues the emails in batches.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..register import registers_autoclose
from ..series import occurrences_extend
from .bulk import JobResult
from .nudges import nudges_send
from .reminders import reminders_send

__all__ = ["JobResult", "nudges_send", "reminders_send", "run_jobs"]


def run_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Everything the periodic tasks do, once (for the management command)."""
    now = now or timezone.now()
    created = occurrences_extend(now=now)
    closed = registers_autoclose(now=now)
    reminders = reminders_send(now=now)
    nudges = nudges_send(now=now)
    return {
        "occurrences_created": created,
        "registers_closed": closed,
        "reminders_sent": reminders.sent,
        "reminders_waiting_for_morning": reminders.deferred,
        "nudges_sent": nudges.sent,
        "nudges_waiting_for_morning": nudges.deferred,
        "checkin_suggestions": nudges.suggestions,
    }

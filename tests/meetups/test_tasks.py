import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from meetups import tasks
from meetups.models import Occurrence
from notifications.models import Notification

from .conftest import held, make_members


def test_periodic_tasks_run_the_services(london_group, fac, django_capture_on_commit_callbacks):
    (m,) = make_members(london_group, 1)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    held(london_group, fac, start_utc=start - dt.timedelta(weeks=1), present=[m])
    held(london_group, fac, start_utc=start, present=[fac], close=False)
    tasks.send_missed_you_nudges()  # closes the register (ended > 3 h ago), then nudges
    assert Occurrence.objects.filter(register_closed_at__isnull=True).count() == 0
    tasks.send_meetup_reminders()
    tasks.extend_meetup_occurrences()
    # (the nudge itself may wait for the morning, depending on the real clock)
    assert Notification.objects.filter(user=m, kind="missed_you").count() <= 1


def test_run_meetup_jobs_command(london_group, fac):
    (m,) = make_members(london_group, 1)
    held(london_group, fac, start_utc=dt.datetime(2026, 1, 6, 19, tzinfo=dt.UTC), present=[m])
    held(london_group, fac, start_utc=dt.datetime(2026, 1, 13, 19, tzinfo=dt.UTC), present=[fac])
    out = StringIO()
    call_command("run_meetup_jobs", "--now", "2026-01-14T10:00:00+00:00", stdout=out)
    assert "nudges_sent: 1" in out.getvalue()
    out = StringIO()
    call_command("run_meetup_jobs", "--now", "2026-01-14T10:05:00+00:00", stdout=out)
    assert "nudges_sent: 0" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("run_meetup_jobs", "--now", "yesterday")

"""Prometheus metrics of jobs (issue 16): a nudge job is timed and its email counted."""

import datetime as dt

import time_machine

from meetups import tasks
from tests.metrics_support import value

from .conftest import held, make_members


def test_a_nudge_job_is_timed_and_its_email_counted(
    london_group, fac, mailoutbox, django_capture_on_commit_callbacks
):
    (regular,) = make_members(london_group, 1)
    week = dt.datetime(2026, 1, 6, 19, 0, tzinfo=dt.UTC)
    held(london_group, fac, start_utc=week, present=[regular])
    held(london_group, fac, start_utc=week + dt.timedelta(weeks=1), present=[fac])
    runs = value("village_job_duration_seconds_count", job="send_missed_you_nudges")
    sent = value("village_emails_total", outcome="sent")
    with (
        time_machine.travel(dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.send_missed_you_nudges()  # through Huey (immediate in tests), as the consumer runs it
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [regular.email]
    assert value("village_job_duration_seconds_count", job="send_missed_you_nudges") == runs + 1
    assert value("village_emails_total", outcome="sent") == sent + 1

"""Huey periodic jobs. Thin: each calls one bulk service."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import services


@db_periodic_task(crontab(minute="*/5"))
@lock_task("meetups-reminders")
def send_meetup_reminders() -> int:
    return services.reminders_send().sent


@db_periodic_task(crontab(minute="2-59/5"))
@lock_task("meetups-nudges")
def send_missed_you_nudges() -> int:
    services.registers_autoclose()
    return services.nudges_send().sent


@db_periodic_task(crontab(minute="17", hour="*/6"))
def extend_meetup_occurrences() -> int:
    return services.occurrences_extend()

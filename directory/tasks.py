"""Huey periodic jobs. Thin: each calls one service."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import importer, services


@db_periodic_task(crontab(minute="0", hour="3"))
@lock_task("directory-sync")
def sync_directory_feeds() -> int:
    return sum(1 for result in importer.sync_all() if result.ok)


@db_periodic_task(crontab(minute="20", hour="*"))
@lock_task("directory-referral-follow-up")
def follow_up_referrals() -> int:
    return services.referrals_follow_up()


@db_periodic_task(crontab(minute="40", hour="4"))
def delete_closed_referrals() -> int:
    return services.referrals_delete_closed()

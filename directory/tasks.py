"""Huey periodic jobs. Thin: each calls one service."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import importer


@db_periodic_task(crontab(minute="0", hour="3"))
@lock_task("directory-sync")
def sync_directory_feeds() -> int:
    return sum(1 for result in importer.sync_all() if result.ok)

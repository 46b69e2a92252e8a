"""Moderation's background jobs (Huey)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import closed


@db_task(retries=3, retry_delay=60)
def send_closed_account_letter(user_id: int, subject: str, text: str) -> bool:
    return closed.send_letter(user_id, subject, text)

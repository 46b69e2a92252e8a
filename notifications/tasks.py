"""Email delivery for notifications, in Huey tasks (never in a web request)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from .models import Notification, Preference, link_unsubscribe_allowed

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "village.notifications.unsubscribe"


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(user_id: int, kind: str) -> str | None:
    """The one-click link for this kind, or None when it can't be turned off by a link."""
    if not link_unsubscribe_allowed(kind):
        return None
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return f"{settings.SITE_URL}{path}"


@db_task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email a batch of notifications, each to its member if they want email for its kind.

    Safe to run twice or in two workers at once: the batch's rows are claimed in one
    transaction (rows another worker holds are skipped, rows already emailed are left) by
    setting emailed_at, before anything is sent. A failed send un-claims its row. One SMTP
    connection for the batch. Personal links (signed one-tap answers) come from
    `notifications.links`, built here rather than in the job that created the rows."""
    from django.core.mail import get_connection
    from django.db import connection as db
    from django.db import transaction

    now = timezone.now()
    with transaction.atomic():
        qs = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        if db.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.select_related("user"))
        opted_out = set(
            Preference.objects.filter(
                user_id__in={n.user_id for n in rows}, email=False
            ).values_list("user_id", "kind")
        )
        wanted = [
            note
            for note in rows
            if note.user.is_active
            and note.user.email
            and (note.user_id, note.kind) not in opted_out
        ]
        Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=now)
    if not wanted:
        return 0
    sent = 0
    failed: list[int] = []
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception:
        log.exception("could not open the mail connection")
        Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=None)
        return 0
    try:
        for note in wanted:
            try:
                _message(note, connection=mail).send()
                sent += 1
            except Exception:
                log.exception("could not email notification %s", note.pk)
                failed.append(note.pk)
    finally:
        try:
            mail.close()
        except Exception:  # pragma: no cover - closing a broken connection
            log.warning("closing the mail connection failed", exc_info=True)
    if failed:
        Notification.objects.filter(pk__in=failed).update(emailed_at=None)
    return sent


def _message(note: Notification, *, connection) -> EmailMultiAlternatives:
    from .links import email_actions

    user = note.user
    unsub = None if note.urgent else unsubscribe_url(note.user_id, note.kind)
    link = f"{settings.SITE_URL}{note.url}" if note.url.startswith("/") else note.url
    context = {
        "note": note,
        "user": user,
        "link": link,
        "actions": email_actions(note),
        "unsubscribe_url": unsub,
    }
    headers = {}
    if unsub:
        headers = {
            "List-Unsubscribe": f"<{unsub}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message = EmailMultiAlternatives(
        subject=f"[Village] {note.title}",
        body=render_to_string("notifications/email.txt", context),
        to=[user.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message

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

from .models import Notification, Preference

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


def unsubscribe_url(user_id: int, kind: str) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return f"{settings.SITE_URL}{path}"


@db_task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email each notification whose member wants email for its kind. Safe to run twice:
    a row is claimed by setting emailed_at before sending."""
    rows = list(
        Notification.objects.filter(
            pk__in=notification_ids, emailed_at__isnull=True
        ).select_related("user")
    )
    opted_out = set(
        Preference.objects.filter(user_id__in={n.user_id for n in rows}, email=False).values_list(
            "user_id", "kind"
        )
    )
    sent = 0
    for note in rows:
        user = note.user
        if not user.is_active or not user.email or (note.user_id, note.kind) in opted_out:
            continue
        claimed = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        unsub = unsubscribe_url(note.user_id, note.kind)
        link = f"{settings.SITE_URL}{note.url}" if note.url.startswith("/") else note.url
        context = {"note": note, "user": user, "link": link, "unsubscribe_url": unsub}
        message = EmailMultiAlternatives(
            subject=f"[Village] {note.title}",
            body=render_to_string("notifications/email.txt", context),
            to=[user.email],
            headers={
                "List-Unsubscribe": f"<{unsub}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(
            render_to_string("notifications/email.html", context), "text/html"
        )
        try:
            message.send()
            sent += 1
        except Exception:
            log.exception("could not email notification %s", note.pk)
            Notification.objects.filter(pk=note.pk).update(emailed_at=None)
    return sent

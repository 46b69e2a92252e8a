"""Email delivery for notifications, in Huey tasks (never in a web request)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from core import metrics
from core.urls import absolute, absolute_reverse

from . import rules
from .models import Kind, Notification, Preference, link_unsubscribe_allowed

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "village.notifications.unsubscribe"
#: Waiting notifications the held-emails job emails per transaction (and SMTP connection).
HELD_BATCH = 500
#: Waiting emails one run of the held-emails job looks at (the next run takes the rest).
HELD_PER_RUN = 5000


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
    return absolute_reverse("notifications:unsubscribe", unsubscribe_token(user_id, kind))


@db_task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email a batch of notifications (queued after commit by `notify`); see `emails_send`."""
    return emails_send(notification_ids)


@db_task()
def push_notifications(notification_ids: list[int]) -> int:
    """Push a batch of notifications to their members' phones (queued after commit by
    `notify`); see `webpush.push_notifications`."""
    from .webpush import push_notifications as push

    return push(notification_ids)


@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-waiting-pushes")
def send_waiting_pushes() -> int:
    """Every minute: pushes held by quiet hours that may go now, and retries that are due."""
    from .webpush import waiting_pushes_send

    return waiting_pushes_send()


@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-held-emails")
def send_held_emails() -> int:
    """Every minute: the emails whose wait is over (quiet hours ended, mentions gathered)."""
    return held_emails_send()


def held_emails_send(*, now: datetime | None = None) -> int:
    """Send every waiting email that is due. A member with a due mention gets all their
    waiting mentions in the same email, even ones still gathering. Returns emails sent."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(emailed_at__isnull=True, send_after__isnull=False)
    due = waiting.filter(send_after__lte=now)
    rows = set(due.order_by("send_after").values_list("user_id", "pk")[:HELD_PER_RUN])
    rows |= set(
        waiting.filter(
            kind=Kind.MENTION,
            send_after__gt=now,
            user_id__in=due.filter(kind=Kind.MENTION).values("user_id"),
        ).values_list("user_id", "pk")
    )
    sent = 0
    # Batches never split one member's rows, so their mentions stay in one email.
    batch: list[int] = []
    last_user = None
    for user_id, pk in sorted(rows):
        if len(batch) >= HELD_BATCH and user_id != last_user:
            sent += emails_send(batch, now=now)
            batch = []
        batch.append(pk)
        last_user = user_id
    if batch:
        sent += emails_send(batch, now=now)
    return sent


def emails_send(notification_ids: list[int], *, now: datetime | None = None) -> int:
    """Email these notifications, each to its member if they want email for its kind and it
    is not their quiet hours (`rules.hold_until`); returns how many emails went.

    An email that must wait gets `send_after` (when quiet hours end; for a mention, a few
    minutes for others to join it) and is left for `held_emails_send`. A member's mentions
    that are due go together as one email.

    Safe to run twice or in two workers at once: the batch's rows are claimed in one
    transaction (rows another worker holds are skipped, rows already emailed are left) by
    setting emailed_at, before anything is sent. A failed send un-claims its rows. One SMTP
    connection for the batch. Personal links (signed one-tap answers) come from
    `notifications.links`, built here rather than in the job that created the rows."""
    from django.core.mail import get_connection
    from django.db import connection as db
    from django.db import transaction

    now = now or timezone.now()
    with transaction.atomic():
        qs = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        if db.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.select_related("user", "user__quiet_hours").order_by("created_at", "pk"))
        opted_out = set(
            Preference.objects.filter(
                user_id__in={n.user_id for n in rows}, email=False
            ).values_list("user_id", "kind")
        )
        wanted: list[Notification] = []
        unwanted: list[int] = []  # were waiting, but no longer wanted: stop waiting
        holds: dict[datetime, list[int]] = defaultdict(list)
        mentions: dict[int, list[Notification]] = defaultdict(list)
        for note in rows:
            user = note.user
            if not user.is_active or not user.email or (note.user_id, note.kind) in opted_out:
                if note.send_after is not None:
                    unwanted.append(note.pk)
                continue
            hold = rules.hold_until(user, note.kind, now, urgent=note.urgent)
            if hold is not None:
                if note.send_after != hold:
                    holds[hold].append(note.pk)
            elif note.kind == Kind.MENTION and not note.urgent:
                mentions[note.user_id].append(note)
            else:
                wanted.append(note)
        for notes in mentions.values():
            if any(_mention_due(n, now) for n in notes):
                wanted += notes
                continue
            for n in notes:
                if n.send_after is None:
                    holds[n.created_at + rules.MENTION_WINDOW].append(n.pk)
        for hold, pks in holds.items():
            Notification.objects.filter(pk__in=pks).update(send_after=hold)
        if unwanted:
            Notification.objects.filter(pk__in=unwanted).update(send_after=None)
        Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=now)
    if not wanted:
        return 0
    letters = _letters(wanted)
    sent = 0
    failed: list[int] = []
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception:
        log.exception("could not open the mail connection")
        metrics.EMAILS.labels(outcome="failed").inc(len(letters))
        Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=None)
        return 0
    try:
        for notes in letters:
            try:
                if notes[0].kind == Kind.MENTION:
                    _mentions_message(notes, connection=mail).send()
                else:
                    _message(notes[0], connection=mail).send()
                sent += 1
                metrics.EMAILS.labels(outcome="sent").inc()
            except Exception:
                log.exception("could not email notifications %s", [n.pk for n in notes])
                failed += [n.pk for n in notes]
                metrics.EMAILS.labels(outcome="failed").inc()
    finally:
        try:
            mail.close()
        except Exception:  # pragma: no cover - closing a broken connection
            log.warning("closing the mail connection failed", exc_info=True)
    if failed:
        Notification.objects.filter(pk__in=failed).update(emailed_at=None)
    return sent


def _mention_due(note: Notification, now: datetime) -> bool:
    if note.send_after is not None:
        return note.send_after <= now
    return note.created_at + rules.MENTION_WINDOW <= now


def _letters(notes: list[Notification]) -> list[list[Notification]]:
    """One email per notification, except a member's mentions: one email for them all."""
    letters: list[list[Notification]] = []
    mentions: dict[int, list[Notification]] = {}
    for note in notes:
        if note.kind != Kind.MENTION:
            letters.append([note])
        elif note.user_id in mentions:
            mentions[note.user_id].append(note)
        else:
            mentions[note.user_id] = [note]
            letters.append(mentions[note.user_id])
    return letters


def _mentions_message(notes: list[Notification], *, connection) -> EmailMultiAlternatives:
    """One email listing a member's mentions, each with a short snippet of the message only
    if they can still see it (`selectors.mention_snippets`)."""
    from .selectors import mention_snippets

    user = notes[0].user
    snippets = mention_snippets(user=user, notes=notes)
    entries = [
        {"title": n.title, "snippet": snippets.get(n.pk, ""), "link": _absolute(n.url)}
        for n in notes
    ]
    unsub = unsubscribe_url(user.pk, Kind.MENTION)
    if len(notes) == 1:
        subject = notes[0].title
    else:
        subject = _("You were mentioned %(count)d times") % {"count": len(notes)}
    context = {"user": user, "entries": entries, "unsubscribe_url": unsub}
    message = EmailMultiAlternatives(
        subject=f"[Village] {subject}",
        body=render_to_string("notifications/mentions_email.txt", context),
        to=[user.email],
        headers=_unsubscribe_headers(unsub),
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("notifications/mentions_email.html", context), "text/html"
    )
    return message


def _absolute(url: str) -> str:
    return absolute(url)


def _unsubscribe_headers(unsub: str | None) -> dict[str, str]:
    if not unsub:
        return {}
    return {
        "List-Unsubscribe": f"<{unsub}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _message(note: Notification, *, connection) -> EmailMultiAlternatives:
    from .links import email_actions

    user = note.user
    unsub = None if note.urgent else unsubscribe_url(note.user_id, note.kind)
    link = _absolute(note.url)
    context = {
        "note": note,
        "user": user,
        "link": link,
        "actions": email_actions(note),
        "unsubscribe_url": unsub,
    }
    headers = _unsubscribe_headers(unsub)
    message = EmailMultiAlternatives(
        subject=f"[Village] {note.title}",
        body=render_to_string("notifications/email.txt", context),
        to=[user.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message

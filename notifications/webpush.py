"""Web push to members' phones (RFC 8030 push, RFC 8291 aes128gcm, RFC 8292 VAPID).

(`notifications/push.py` is the other push: the live bell over websockets.)

- `check_subscription` decides whether a browser's subscription may be stored at all.
- `deliveries_create` fans notifications out to their members' devices: one `PushDelivery` row
  per (notification, device), made once (a unique constraint), with `send_after` the end of
  the member's quiet hours when they are in them.
- `deliveries_send` claims waiting rows with one conditional UPDATE (so two Huey workers never
  push the same row), encrypts each payload for its device and posts it with a short timeout,
  a few at a time. 201: sent. 404/410: the device is gone, its row is deleted. 429 and 5xx
  (and timeouts): tried again later, with backoff. Any other answer: given up. One device
  failing never stops the others.

Lock-screen privacy: `payload_for` shows only the kind and the group ("New mention in
Brierley Hill Parents' Circle") unless the member turned previews on for that device, and
safeguarding alerts never carry what anyone wrote. The payload holds only what the
notification shows, its link, and the one-tap answers it offers.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config import vapid
from config.village import village
from core import metrics

from . import rules
from .models import Kind, Notification, Preference, PushDelivery, PushSubscription

log = logging.getLogger(__name__)

MAX_ENDPOINT_CHARS = 1000
#: Waiting pushes one run of the sweep looks at (the next run takes the rest).
WAITING_PER_RUN = 5000
#: Urgent alerts this old (and not older than WITHIN) are fanned out again by the sweep, in
#: case their push task could not be queued.
URGENT_SWEEP_AFTER = timedelta(minutes=1)
URGENT_SWEEP_WITHIN = timedelta(hours=1)
#: A row claimed longer ago than this belongs to a worker that died mid-batch.
STALE_CLAIM = timedelta(minutes=10)
#: How long a push service may keep a push for a phone that is off (seconds), and how
#: urgently it should wake the phone (RFC 8030 section 5.3).
DELIVERY = {
    Kind.SAFEGUARDING: (24 * 3600, "high"),
    Kind.MENTION: (24 * 3600, "normal"),
    Kind.CHECKIN: (2 * 24 * 3600, "normal"),
    Kind.MEETUP_REMINDER: (12 * 3600, "normal"),
    Kind.MISSED_YOU: (3 * 24 * 3600, "normal"),
    Kind.MEETUP_CHANGE: (24 * 3600, "normal"),
    Kind.WAITLIST: (12 * 3600, "normal"),
    Kind.MEMBERSHIP: (3 * 24 * 3600, "low"),
    Kind.FACILITATOR: (24 * 3600, "normal"),
    Kind.MODERATION: (3 * 24 * 3600, "low"),
}
PREVIEW_TITLE_CHARS = 120
PREVIEW_BODY_CHARS = 300


#: What a lock screen shows by default: the kind and the group, nothing anyone wrote.
PRIVATE_TITLES = {
    Kind.MENTION: gettext_noop("New mention in %(group)s"),
    Kind.CHECKIN: gettext_noop("New private message in %(group)s"),
    Kind.MEETUP_REMINDER: gettext_noop("Meetup reminder from %(group)s"),
    Kind.MISSED_YOU: gettext_noop("We missed you at %(group)s"),
    Kind.MEETUP_CHANGE: gettext_noop("A meetup has changed in %(group)s"),
    Kind.WAITLIST: gettext_noop("A place has opened up in %(group)s"),
    Kind.MEMBERSHIP: gettext_noop("News about joining %(group)s"),
    Kind.FACILITATOR: gettext_noop("Something for facilitators in %(group)s"),
    Kind.MODERATION: gettext_noop("A moderation decision in %(group)s"),
    Kind.SAFEGUARDING: gettext_noop("Urgent: someone in %(group)s may need help"),
}


def private_title(kind: str, group: str) -> str:
    title = PRIVATE_TITLES.get(kind, gettext_noop("News from %(group)s"))
    return _(title) % {"group": group}


# --- refusing bad subscriptions ----------------------------------------------------------


@dataclass(frozen=True)
class CheckedSubscription:
    endpoint: str
    p256dh: str
    auth: str


def check_subscription(*, endpoint, p256dh, auth) -> CheckedSubscription:
    """The subscription a browser sent, or ValidationError with a kind message. Refused: an
    endpoint that is not https, is too long, or points at a private, loopback or otherwise
    non-public address (the push goes wherever it says, so it must be a push service out on
    the internet; `WEBPUSH_ALLOW_LOOPBACK` lets tests use their own server), and keys that are
    not a P-256 public point and a 16-byte secret."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ValidationError(
            _("Your browser didn't give us an address for notifications. Please try again."),
            code="endpoint",
        )
    endpoint = endpoint.strip()
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise ValidationError(
            _("Your browser's notification address is too long for us to use."), code="endpoint"
        )
    parts = urlsplit(endpoint)
    loopback_ok = village("WEBPUSH_ALLOW_LOOPBACK")
    host = parts.hostname or ""
    if parts.scheme != "https" and not (
        loopback_ok and parts.scheme == "http" and _is_loopback_literal(host)
    ):
        raise ValidationError(
            _("Notifications can only be sent through a secure (https) push service."),
            code="endpoint",
        )
    if not host or parts.username or parts.password:
        raise ValidationError(
            _("Your browser's notification address doesn't look right."), code="endpoint"
        )
    for address in _addresses(host, parts.port):
        if address.is_loopback and loopback_ok:
            continue
        if not address.is_global:
            raise ValidationError(
                _("That notification address points inside a private network, so we can't use it."),
                code="endpoint",
            )
    if not _valid_p256(p256dh):
        raise ValidationError(
            _("Your browser's notification keys don't look right. Please try again."), code="keys"
        )
    if not _valid_auth(auth):
        raise ValidationError(
            _("Your browser's notification keys don't look right. Please try again."), code="keys"
        )
    return CheckedSubscription(endpoint=endpoint, p256dh=p256dh.strip(), auth=auth.strip())


def _is_loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _addresses(host: str, port: int | None) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return [ipaddress.ip_address("10.0.0.0")]  # a local name: refused like a private address
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValidationError(
            _("We couldn't reach your browser's notification service. Please try again later."),
            code="endpoint",
        ) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _valid_p256(value) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec

    if not isinstance(value, str) or len(value) > 100:
        return False
    try:
        raw = vapid.b64url_decode(value)
        if len(raw) != 65 or raw[0] != 4:
            return False
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, TypeError):
        return False
    return True


def _valid_auth(value) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        return len(vapid.b64url_decode(value)) == 16
    except (ValueError, TypeError):
        return False


def device_name(user_agent: str) -> str:
    """A friendly default name for the device a browser runs on, from its User-Agent."""
    ua = user_agent or ""
    if "Edg/" in ua:
        browser = "Edge"
    elif "SamsungBrowser" in ua:
        browser = "Samsung Internet"
    elif "Firefox/" in ua or "FxiOS" in ua:
        browser = "Firefox"
    elif "Chrome/" in ua or "CriOS" in ua:
        browser = "Chrome"
    elif "Safari/" in ua:
        browser = "Safari"
    else:
        browser = _("A browser")
    if "iPhone" in ua:
        device = _("an iPhone")
    elif "iPad" in ua:
        device = _("an iPad")
    elif "Android" in ua:
        device = _("an Android phone") if "Mobile" in ua else _("an Android tablet")
    elif "Windows" in ua:
        device = _("a Windows computer")
    elif "Macintosh" in ua:
        device = _("a Mac")
    elif "Linux" in ua or "CrOS" in ua:
        device = _("a computer")
    else:
        return str(browser)
    return _("%(browser)s on %(device)s") % {"browser": browser, "device": device}


# --- what a push says --------------------------------------------------------------------


def payload_for(
    note: Notification, *, previews: bool, snippet: str = "", unread: int = 0
) -> dict:
    """The JSON a device receives for `note`. With previews off (the default) only the kind
    and the group; with previews on, the notification's own title and short text (for a
    mention, the start of the message if the member can still see it). Safeguarding alerts
    are always private. `url` is the exact place; `actions` are one-tap answers, each the
    address of `notifications:push_answer` (answered with the member's own session), never
    the email's signed link: no secret token travels in a push."""
    from django.urls import reverse

    from .links import push_actions

    group = note.group.name if note.group_id and note.group else "Village"
    if previews and note.kind != Kind.SAFEGUARDING:
        title = _clip(note.title, PREVIEW_TITLE_CHARS)
        body = _clip(" ".join((snippet or note.body).split()), PREVIEW_BODY_CHARS)
    else:
        title, body = private_title(note.kind, group), ""
    url = note.url if note.url.startswith("/") and not note.url.startswith("//") else "/"
    if note.kind == Kind.MENTION and isinstance(note.data.get("message"), int) and "#" not in url:
        url = f"{url}#m-{note.data['message']}"
    return {
        "title": title,
        "body": body,
        "url": url,
        "tag": f"village-{note.pk}",
        "urgent": note.urgent,
        "badge": unread,
        "actions": [
            {
                "action": action,
                "title": label,
                "url": reverse("notifications:push_answer", args=[note.pk, action]),
            }
            for action, label, _link in push_actions(note)
        ],
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- fan-out -----------------------------------------------------------------------------


def deliveries_create(notification_ids: list[int], *, now: datetime | None = None) -> list[int]:
    """Make the push rows for these notifications (each member's devices, if they want this
    kind on their phone), held until their quiet hours end. Safe to run twice: a pair that
    has its row already is left alone. Returns the ids of rows due now. One query when none
    of the members has a device."""
    now = now or timezone.now()
    devices: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in PushSubscription.objects.filter(
        user_id__in=Notification.objects.filter(pk__in=notification_ids).values("user_id")
    ).values_list("pk", "user_id"):
        devices[user_id].append(pk)
    if not devices:
        return []
    notes = list(
        Notification.objects.filter(pk__in=notification_ids, user_id__in=list(devices))
        .select_related("user", "user__quiet_hours")
    )
    off = set(
        Preference.objects.filter(user_id__in=list(devices), push=False).values_list(
            "user_id", "kind"
        )
    )
    rows = []
    for note in notes:
        if not note.user.is_active or (note.user_id, note.kind) in off:
            continue
        hold = rules.hold_until(note.user, note.kind, now, urgent=note.urgent)
        rows += [
            PushDelivery(notification_id=note.pk, subscription_id=sub, send_after=hold or now)
            for sub in devices[note.user_id]
        ]
    PushDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return list(
        PushDelivery.objects.filter(
            notification_id__in=[n.pk for n in notes],
            state=PushDelivery.State.WAITING,
            send_after__lte=now,
        ).values_list("pk", flat=True)
    )


def push_notifications(notification_ids: list[int], *, now: datetime | None = None) -> int:
    """The Huey task's body: fan out, then push what is due, WEBPUSH_BATCH at a time."""
    due = deliveries_create(notification_ids, now=now)
    batch = village("WEBPUSH_BATCH")
    return sum(deliveries_send(due[i : i + batch], now=now) for i in range(0, len(due), batch))


def waiting_pushes_send(*, now: datetime | None = None) -> int:
    """The sweep: pushes whose wait is over (quiet hours ended, a retry is due), rows a dead
    worker had claimed, and urgent alerts of the last hour that never got their push rows.
    Returns how many were pushed."""
    now = now or timezone.now()
    PushDelivery.objects.filter(
        state=PushDelivery.State.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(state=PushDelivery.State.WAITING, claim="")
    # Urgent alerts whose push task was never queued (the queue was down then): fan them
    # out here. Harmless for those that were: a pair that has its row is left alone.
    urgent = list(
        Notification.objects.filter(
            urgent=True,
            created_at__gte=now - URGENT_SWEEP_WITHIN,
            created_at__lte=now - URGENT_SWEEP_AFTER,
        ).values_list("pk", flat=True)[:1000]
    )
    if urgent:
        deliveries_create(urgent, now=now)
    due = list(
        PushDelivery.objects.filter(state=PushDelivery.State.WAITING, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:WAITING_PER_RUN]
    )
    batch = village("WEBPUSH_BATCH")
    return sum(deliveries_send(due[i : i + batch], now=now) for i in range(0, len(due), batch))


# --- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (timeout, connection refused)
    retry_after: float | None = None


def deliveries_send(delivery_ids: list[int], *, now: datetime | None = None) -> int:
    """Push these rows, those still waiting and due. Claimed first with one conditional
    UPDATE (rows another worker claimed, or already sent, are skipped), so each row is
    pushed once however many workers run this for it. Returns how many were accepted."""
    if not delivery_ids:
        return 0
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    claimed = PushDelivery.objects.filter(
        pk__in=delivery_ids, state=PushDelivery.State.WAITING, send_after__lte=now
    ).update(state=PushDelivery.State.SENDING, claim=claim, claimed_at=now)
    if not claimed:
        return 0
    rows = list(
        PushDelivery.objects.filter(pk__in=delivery_ids, claim=claim)
        .select_related(
            "subscription", "notification", "notification__group", "notification__user"
        )
        .order_by("pk")
    )
    unread = dict(
        Notification.objects.filter(
            user_id__in={r.subscription.user_id for r in rows}, read_at__isnull=True
        )
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    # Read in Village while it waited (quiet hours, a retry): no need to buzz the phone.
    read = {r.pk for r in rows if r.notification.read_at is not None and not r.notification.urgent}
    if read:
        PushDelivery.objects.filter(pk__in=read).update(
            state=PushDelivery.State.SKIPPED, claim=""
        )
        rows = [r for r in rows if r.pk not in read]
    snippets = _mention_snippets(rows)
    jobs = []
    for row in rows:
        note, sub = row.notification, row.subscription
        payload = payload_for(
            note,
            previews=sub.previews,
            snippet=snippets.get(note.pk, "") if sub.previews else "",
            unread=unread.get(sub.user_id, 0),
        )
        ttl, urgency = DELIVERY.get(note.kind, (24 * 3600, "normal"))
        jobs.append((sub, json.dumps(payload, separators=(",", ":")), ttl, urgency))
    outcomes = list(_pool().map(lambda job: send(*job), jobs))
    return _record(rows, outcomes, now=now)


def _mention_snippets(rows: list[PushDelivery]) -> dict[int, str]:
    """The start of each mentioned message, for devices with previews on (chat decides what
    the member may still see). One question per member with such a mention."""
    from .selectors import mention_snippets

    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        if row.subscription.previews and row.notification.kind == Kind.MENTION:
            by_user[row.notification.user_id].append(row.notification)
    snippets: dict[int, str] = {}
    for notes in by_user.values():
        snippets |= mention_snippets(user=notes[0].user, notes=notes)
    return snippets


def _record(rows: list[PushDelivery], outcomes: list[Outcome], *, now: datetime) -> int:
    State = PushDelivery.State
    sent: list[int] = []
    alive: set[int] = set()
    gone: set[int] = set()
    failed: list[int] = []
    retries: dict[tuple[datetime, int], list[int]] = defaultdict(list)
    max_attempts = village("WEBPUSH_MAX_ATTEMPTS")
    for row, outcome in zip(rows, outcomes, strict=True):
        status = outcome.status
        if status is not None and 200 <= status < 300:
            sent.append(row.pk)
            alive.add(row.subscription_id)
        elif status in (404, 410):
            gone.add(row.subscription_id)
            metrics.PUSHES.labels(outcome="gone").inc()
        elif status is None or status == 429 or status >= 500:
            attempts = row.attempts + 1
            if attempts >= max_attempts:
                log.warning("giving up web push %s after %d tries", row.pk, attempts)
                failed.append(row.pk)
                continue
            wait = outcome.retry_after or 30 * 2 ** (attempts - 1)
            wait = min(max(wait, 5), 6 * 3600)
            retries[(now + timedelta(seconds=wait), attempts)].append(row.pk)
        else:
            log.warning("web push %s refused by the push service (%s)", row.pk, status)
            failed.append(row.pk)
    if sent:
        PushDelivery.objects.filter(pk__in=sent).update(state=State.SENT, sent_at=now, claim="")
        PushSubscription.objects.filter(pk__in=alive).update(last_success_at=now)
    if failed:
        PushDelivery.objects.filter(pk__in=failed).update(state=State.FAILED, claim="")
    for (when, attempts), pks in retries.items():
        PushDelivery.objects.filter(pk__in=pks).update(
            state=State.WAITING, send_after=when, attempts=attempts, claim=""
        )
    if gone:
        # The browser unsubscribed or the phone is gone: forget the device (and its rows).
        PushSubscription.objects.filter(pk__in=gone).delete()
    metrics.PUSHES.labels(outcome="sent").inc(len(sent))
    metrics.PUSHES.labels(outcome="failed").inc(len(failed))
    metrics.PUSHES.labels(outcome="retry").inc(sum(len(pks) for pks in retries.values()))
    return len(sent)


_local = threading.local()
_pool_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_vapid_lock = threading.Lock()
_vapid_headers: dict[str, tuple[float, dict]] = {}


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _pool_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=max(1, village("WEBPUSH_CONCURRENCY")), thread_name_prefix="webpush"
            )
        return _executor


class _Response:
    """What pywebpush reads from an answer (status_code, text, headers)."""

    def __init__(self, status: int, headers):
        self.status_code, self.headers, self.text = status, headers, ""


class _Poster:
    """The HTTP client pywebpush posts through: urllib3 with kept-alive connections per push
    service, no retries or redirects of its own (we retry), and a proxy from the environment
    read once (requests' per-request environment and proxy lookups cost more than the
    push's encryption)."""

    def __init__(self):
        import urllib3

        proxy = urllib.request.getproxies().get("https")
        kwargs = {"num_pools": 20, "maxsize": 4, "retries": False}
        self.pool = (
            urllib3.ProxyManager(proxy, **kwargs) if proxy else urllib3.PoolManager(**kwargs)
        )

    def post(self, url, *, data=None, headers=None, timeout=None):
        import urllib3

        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        response = self.pool.request(
            "POST",
            url,
            body=data,
            headers=dict(headers or {}),
            timeout=urllib3.Timeout(connect=connect, read=read),
            redirect=False,
        )
        return _Response(response.status, response.headers)


def _session() -> _Poster:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = _Poster()
    return session


def vapid_headers(endpoint: str) -> dict:
    """The VAPID Authorization header for this push service (audience: its origin), signed
    once an hour per service rather than once per push; valid for 12 hours."""
    from py_vapid import Vapid02

    parts = urlsplit(endpoint)
    aud = f"{parts.scheme}://{parts.netloc}"
    now = time.time()
    with _vapid_lock:
        cached = _vapid_headers.get(aud)
        if cached and cached[0] - now > 11 * 3600:
            return cached[1]
        key = Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode())
        exp = int(now) + 12 * 3600
        headers = key.sign({"aud": aud, "exp": exp, "sub": settings.VAPID_CONTACT})
        _vapid_headers[aud] = (exp, headers)
        return headers


def send(sub: PushSubscription, data: str, ttl: int, urgency: str) -> Outcome:
    """Encrypt `data` for this device and post it to its push service; never raises."""
    from pywebpush import WebPusher

    timeout = village("WEBPUSH_TIMEOUT_SECONDS")
    try:
        headers = {**vapid_headers(sub.endpoint), "Urgency": urgency}
        response = WebPusher(
            {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            requests_session=_session(),
        ).send(data, headers, ttl=ttl, timeout=(timeout, timeout))
    except Exception as exc:  # timeouts, refused connections, a broken key: try again later
        log.info("web push to device %s got no answer (%s)", sub.pk, type(exc).__name__)
        return Outcome(None)
    return Outcome(response.status_code, _retry_after(response.headers.get("Retry-After")))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return (parsedate_to_datetime(value) - timezone.now()).total_seconds()
    except (TypeError, ValueError):
        return None

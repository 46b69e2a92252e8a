"""In-app notifications and members' choices about what reaches them."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MENTION = "mention", _("Someone mentioned you in a chat")
    CHECKIN = "checkin", _("Private messages with your group's facilitators")
    MEETUP_REMINDER = "meetup_reminder", _("Meetup reminders")
    MISSED_YOU = "missed_you", _('"We missed you" messages after a meetup')
    MEETUP_CHANGE = "meetup_change", _("A meetup is cancelled, moved or has a new note")
    WAITLIST = "waitlist", _("A place opens up for you at a meetup")
    MEMBERSHIP = "membership", _("Your request to join a group is answered")
    FACILITATOR = "facilitator", _("For facilitators: requests, check-ins and replies")
    MODERATION = "moderation", _("Moderation decisions about your posts")
    SAFEGUARDING = "safeguarding", _("For moderators: urgent safeguarding alerts")
    REFERRAL = "referral", _("Referrals to local services: offers, answers and check-ins")


# Urgent safeguarding alerts are part of the moderator's (and facilitator's) role: a mail
# client's one-click unsubscribe button must not end them without anyone noticing, so their
# emails carry no unsubscribe link or header and the unsubscribe endpoint refuses them.
NO_LINK_UNSUBSCRIBE = frozenset({Kind.SAFEGUARDING})


def link_unsubscribe_allowed(kind: str) -> bool:
    return kind in Kind.values and kind not in NO_LINK_UNSUBSCRIBE


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    url = models.CharField(max_length=500, blank=True)
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Its email waits until then (the member's quiet hours, or a mention gathering others to
    # go in one email); the `send_held_emails` job sends it. Empty: not waiting.
    send_after = models.DateTimeField(null=True, blank=True)
    # What the notification is about, for building personal email links at send time
    # (e.g. {"occurrence": 12}, or a mention's {"message": 34}); see notifications.links.
    # Never the text of a member's message.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"]),
            models.Index(
                fields=["send_after"],
                condition=Q(send_after__isnull=False, emailed_at__isnull=True),
                name="notification_email_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Preference(models.Model):
    """Per member, per kind: in-app always; email on or off; phone (web push) on or off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.BooleanField(default=True)
    push = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_pref_per_user_kind"),
        ]


#: Quiet hours for a member with no row of their own.
DEFAULT_QUIET_START = datetime.time(21, 0)
DEFAULT_QUIET_END = datetime.time(8, 0)


class QuietHours(models.Model):
    """When a member would rather not get emails, in their profile time zone (the times may
    cross midnight). No row means the default, 21:00 to 08:00. The rule is
    `notifications.rules.hold_until`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="quiet_hours",
    )
    enabled = models.BooleanField(_("quiet hours on"), default=True)
    start = models.TimeField(_("from"), default=DEFAULT_QUIET_START)
    end = models.TimeField(_("until"), default=DEFAULT_QUIET_END)

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")
        constraints = [
            models.CheckConstraint(condition=~Q(start=F("end")), name="quiet_hours_not_empty"),
        ]

    def __str__(self) -> str:
        return f"quiet hours of user {self.user_id}"


class PushSubscription(models.Model):
    """One browser on one device that a member asked to notify (web push, RFC 8030).

    `endpoint` is the push service's address for that browser: a capability, so it is never
    logged or shown. `browser_key` ties the row to the login session that made it: logging
    out of that browser deletes it. Lock-screen previews are off unless the member turns them
    on for this device."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.CharField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    name = models.CharField(_("device name"), max_length=60)
    previews = models.BooleanField(_("show what it says on the lock screen"), default=False)
    browser_key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"push device {self.pk} of user {self.user_id}"


class PushDelivery(models.Model):
    """One notification pushed to one device: made once per pair (the unique constraint), so
    running the fan-out twice, or in two workers, never makes a second push. A worker claims
    waiting rows with one conditional UPDATE before sending (`webpush.deliveries_send`)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("read before it could go")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    # Not before then: the end of the member's quiet hours, or the next try after a 429/5xx.
    send_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "subscription"], name="one_push_per_device"
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=Q(state="waiting"),
                name="push_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"push of notification {self.notification_id} to device {self.subscription_id}"

"""In-app notifications and members' choices about what reaches them."""

from django.conf import settings
from django.db import models
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
    # What the notification is about, for building personal email links at send time
    # (e.g. {"occurrence": 12}); see notifications.links. Never a member's message.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Preference(models.Model):
    """Per member, per kind: in-app always; email on or off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_pref_per_user_kind"),
        ]

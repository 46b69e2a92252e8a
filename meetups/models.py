"""Weekly meetups: series, their real occurrences, RSVPs, the register, and delivery records.

Times are stored in UTC. A series keeps its local wall-clock time and its time zone, so a
7 pm Tuesday meetup stays at 7 pm local across the clocks changing.
"""

from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone

CHECKIN_ALPHABET = "ACDEFHJKMNPRTWXY3479"  # no look-alikes (0/O, 1/I/L, 5/S, 8/B)


def new_checkin_code() -> str:
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(4))


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class MeetupSeries(models.Model):
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="series")
    title = models.CharField(_("name of the meetup"), max_length=120)
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    start_time = models.TimeField(_("starts at (local time)"))
    duration_minutes = models.PositiveIntegerField(_("how long (minutes)"), default=90)
    interval_weeks = models.PositiveSmallIntegerField(_("every how many weeks"), default=1)
    starts_on = models.DateField(_("first meetup"))
    ends_on = models.DateField(_("last meetup"), null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    venue_name = models.CharField(_("venue"), max_length=120, blank=True)
    venue_address = models.CharField(_("address"), max_length=300, blank=True)
    accessibility_notes = models.CharField(_("access"), max_length=300, blank=True)
    online_url = models.URLField(_("online joining link"), blank=True)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    reminders_24h = models.BooleanField(_("reminder the day before"), default=True)
    reminders_2h = models.BooleanField(_("reminder two hours before"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "meetup series"
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="series_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1), name="series_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class OccurrenceQuerySet(models.QuerySet):
    def scheduled(self):
        return self.filter(status=Occurrence.Status.SCHEDULED)


class Occurrence(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("On")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        MeetupSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="occurrences")
    title = models.CharField(max_length=120)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # Where the series put this week (the iCalendar RECURRENCE-ID); None for one-offs.
    original_starts_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    venue_name = models.CharField(max_length=120, blank=True)
    venue_address = models.CharField(max_length=300, blank=True)
    accessibility_notes = models.CharField(max_length=300, blank=True)
    online_url = models.URLField(blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # The facilitator's own line for this week's "we missed you" messages.
    personal_line = models.CharField(max_length=300, blank=True)
    moved = models.BooleanField(default=False)
    modified = models.BooleanField(default=False)  # changed by hand: series edits leave it alone
    register_closed_at = models.DateTimeField(null=True, blank=True)
    register_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a facilitator reopens a closed register to fix it: it is not closed again
    # automatically for a few hours, so they have time to make the change.
    register_reopened_at = models.DateTimeField(null=True, blank=True)
    checkin_code = models.CharField(max_length=8, default=new_checkin_code)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OccurrenceQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "original_starts_at"],
                condition=Q(series__isnull=False),
                name="one_occurrence_per_series_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="occurrence_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["group", "starts_at"]),
            models.Index(fields=["register_closed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.tz)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def register_closed(self) -> bool:
        return self.register_closed_at is not None


class Rsvp(models.Model):
    class Answer(models.TextChoices):
        GOING = "going", _("Going")
        MAYBE = "maybe", _("Not sure")
        NO = "no", _("Can't make it")

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    answer = models.CharField(max_length=8, choices=Answer.choices)
    message = models.CharField(_("a message for the facilitator"), max_length=300, blank=True)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "user"], name="one_rsvp_per_member"),
        ]

    @property
    def waitlisted(self) -> bool:
        return self.waitlist_position is not None


class Attendance(models.Model):
    class Source(models.TextChoices):
        REGISTER = "register", _("Register")
        SELF_CHECKIN = "self_checkin", _("Checked in")
        WALK_IN = "walk_in", _("Walk-in")

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    walk_in_name = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=14, choices=Source.choices, default=Source.REGISTER)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "user"],
                condition=Q(user__isnull=False),
                name="one_attendance_per_member",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(walk_in_name=""), name="attendance_has_someone"
            ),
        ]
        indexes = [models.Index(fields=["user", "occurrence"])]


class MeetupPrefs(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    nudges = models.BooleanField(_('"We missed you" messages'), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_meetup_prefs_per_member"),
        ]


class Delivery(models.Model):
    """One reminder or nudge for one member for one occurrence. The unique constraint is what
    makes sending exactly-once: a job inserts rows with ON CONFLICT DO NOTHING and notifies
    only the rows carrying its own batch id."""

    class Kind(models.TextChoices):
        REMINDER_24H = "reminder_24h", _("Reminder the day before")
        REMINDER_2H = "reminder_2h", _("Reminder two hours before")
        NUDGE = "nudge", _("We missed you")
        CHECKIN_SUGGESTION = "checkin_suggestion", _("Check in personally (to facilitators)")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="deliveries")
    # The member it is about (for a check-in suggestion: the member, not the facilitators).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    batch = models.CharField(max_length=32, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "occurrence", "user"], name="deliver_exactly_once"
            ),
        ]
        indexes = [models.Index(fields=["group", "kind", "created_at"])]


class NudgeReply(models.Model):
    class Choice(models.TextChoices):
        OK = "ok", _("I'm OK, see you next time")
        CONTACT = "contact", _("I'd like someone to get in touch")

    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.CASCADE, related_name="nudge_replies"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "user"], name="one_nudge_reply"),
        ]


class CalendarFeed(models.Model):
    """A member's private calendar link. Making a new one revokes the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)


class GroupCalendarFeed(models.Model):
    """A member's private subscription link for one group's whole calendar, so a calendar app
    (which cannot log in) can follow it. Revocable: making a new one stops the old; it stops
    working by itself once the member may no longer see the group's meetups."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_group_feed_per_member")
        ]

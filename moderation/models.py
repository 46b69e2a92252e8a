"""Moderation and safeguarding: reports, the review queue, actions, appeals, the append-only
audit log, watch lists, crisis phrases, helplines and complaints.

A `Case` is one item in the review queue. All reports on one message share one open case; a
concern about a person, a held message, an auto-flag and a crisis alert are cases too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    UNKIND = "unkind", _("Unkind, bullying or harassment")
    HARMFUL = "harmful", _("Harmful or dangerous advice")
    PRIVATE_INFO = "private_info", _("Sharing someone's private information")
    ILLEGAL = "illegal", _("I think this is illegal")
    SAFEGUARDING = "safeguarding", _("A safeguarding concern (a child or adult may be at risk)")
    OTHER = "other", _("Something else")


URGENT_REASONS = frozenset({Reason.SAFEGUARDING})


class CaseQuerySet(models.QuerySet):
    def urgent_unhandled(self) -> CaseQuerySet:
        """Urgent items nobody has acted on yet: still open, no first action, no decision or
        "looked after" recorded. The one definition of "nobody has acted" for the re-alerts
        (`urgent_cases_escalate`): a new kind of action on a case belongs here too."""
        return self.filter(
            urgent=True,
            status=Case.Status.OPEN,
            first_action_at__isnull=True,
            handled_at__isnull=True,
            acknowledged_at__isnull=True,
        ).exclude(Exists(ModAction.objects.filter(case_id=OuterRef("pk"))))


class Case(models.Model):
    class Kind(models.TextChoices):
        REPORTS = "reports", _("Reported message")
        CONCERN = "concern", _("Concern about a person")
        HELD = "held", _("Held by the watch list")
        FLAGGED = "flagged", _("Flagged by the watch list")
        CRISIS = "crisis", _("Someone may be in crisis")
        EVASION = "evasion", _("May be a banned member's new account")
        ORPHANED = "orphaned", _("This group needs a facilitator")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        HANDLED = "handled", _("Handled")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: The member the item is about (message author, or the person of concern).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    urgent = models.BooleanField(default=False)
    opened_at = models.DateTimeField(default=timezone.now)
    first_action_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Reminders of an urgent item nobody has acted on: how many reminder times have passed
    #: (15 minutes after it was raised, then hourly; one re-alert each, and times missed
    #: while the job was stopped are skipped, not replayed), and when the last one went.
    escalations = models.PositiveSmallIntegerField(default=0)
    #: Facts Village noted when it raised the item itself (never a member's words): for a
    #: group that needs a facilitator, its last activity.
    facts = models.JSONField(default=dict, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    #: The rota ladder (moderation/rota.py): the first alert went only to the moderators on
    #: duty, so nobody acting climbs to the next person on the rota, then to everyone, one
    #: VILLAGE_URGENT_ESCALATE_AFTER_MINUTES apart. 0 = on duty only, 1 = the next person
    #: too, 2 = everyone. Items raised with nobody on duty go to everyone at once (step 2).
    ladder = models.BooleanField(default=False)
    ladder_step = models.PositiveSmallIntegerField(default=0)
    #: "I've got this": one moderator picked up an urgent alert (recorded once). It stops the
    #: ladder and the reminders; it is not a decision and does not close the item.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_on_duty = models.BooleanField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-urgent", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind"],
                condition=Q(status="open", message__isnull=False),
                name="one_open_case_per_message_kind",
            ),
            # One "needs a facilitator" item per group at a time: one per episode.
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(status="open", kind="orphaned"),
                name="one_open_orphan_case_per_group",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "handled"]), name="case_status_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "group", "-urgent", "opened_at"])]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.kind}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def last_activity(self):
        """For a group that needs a facilitator: when a facilitator was last active."""
        from datetime import datetime

        raw = (self.facts or {}).get("last_activity")
        return datetime.fromisoformat(raw) if raw else None


class Report(models.Model):
    """One member's report of one message, or one concern about a person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: Never shown to the author. Emptied when the reporter erases their account.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_reports",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(max_length=1000, blank=True)
    by_facilitator = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"],
                condition=Q(message__isnull=False, reporter__isnull=False),
                name="one_report_per_member_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.reason})"


class ModAction(models.Model):
    """A decision taken on a case (or on an appeal's reversal)."""

    class Kind(models.TextChoices):
        DISMISS = "dismiss", _("Dismiss the reports")
        APPROVE = "approve", _("Approve the message")
        HIDE = "hide", _("Hide the message")
        DELETE = "delete", _("Delete the message")
        WARN = "warn", _("Warn the author")
        MUTE = "mute", _("Mute in this group")
        REMOVE = "remove", _("Remove from this group")
        SUSPEND = "suspend", _("Suspend across Village")
        BAN = "ban", _("Ban")
        ACKNOWLEDGE = "acknowledge", _("Mark as looked after")
        SAFE = "safe", _("Close: the person is safe / has support")

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions_received",
    )
    reason = models.TextField(max_length=2000)
    until = models.DateTimeField(null=True, blank=True)
    site_wide = models.BooleanField(default=False)  # ban across Village
    reversed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"

    @property
    def member_label(self) -> str:
        """What happened, in words for the member it happened to."""
        return str(MEMBER_LABELS.get(self.kind, self.get_kind_display()))

    @property
    def is_appealable(self) -> bool:
        return self.kind in APPEALABLE and self.target_id is not None


#: Ways to close a safeguarding item that support rather than sanction: nobody is told about
#: them, they take no reason, and they are not decisions the member sees or can appeal.
SUPPORTIVE_CLOSES = frozenset({ModAction.Kind.ACKNOWLEDGE, ModAction.Kind.SAFE})

#: Items about a person who may be at risk: the queue offers supportive actions first.
SAFEGUARDING_KINDS = frozenset({Case.Kind.CONCERN, Case.Kind.CRISIS})

MAX_CASE_NOTE_CHARS = 2000


class CaseNote(models.Model):
    """A short private note ("what we did") on a queue item, for those who may handle it.
    A safeguarding record: never logged, never in a notification or email, not in the
    member's data export, and kept when its author deletes their account."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_CASE_NOTE_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"case note {self.pk}"  # never the body


class CaseReferral(models.Model):
    """An item passed to the safeguarding lead: who passed it, and when (once per item)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="referral")
    passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"referral of case {self.case_id}"


MEMBER_LABELS = {
    ModAction.Kind.HIDE: _("Your message was hidden"),
    ModAction.Kind.DELETE: _("Your message was removed"),
    ModAction.Kind.WARN: _("A private note from a moderator"),
    ModAction.Kind.MUTE: _("A pause from posting in a group"),
    ModAction.Kind.REMOVE: _("You were removed from a group"),
    ModAction.Kind.SUSPEND: _("A pause from posting across Village"),
    ModAction.Kind.BAN: _("You were banned"),
}

APPEALABLE = frozenset(
    {
        ModAction.Kind.HIDE,
        ModAction.Kind.DELETE,
        ModAction.Kind.WARN,
        ModAction.Kind.MUTE,
        ModAction.Kind.REMOVE,
        ModAction.Kind.SUSPEND,
        ModAction.Kind.BAN,
    }
)


class Appeal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        UPHELD = "upheld", _("Decision kept")
        REVERSED = "reversed", _("Decision reversed")

    class Route(models.TextChoices):
        """Who could decide it when it was lodged (never the person who made the decision)."""

        MODERATOR = "moderator", _("Another moderator")
        STAFF = "staff", _("A member of staff")
        NOBODY = "nobody", _("Nobody else yet")

    # What the appellant is told. "Upheld" is avoided: it means the decision stands, and
    # members read it both ways.
    OUTCOMES = {
        Status.UPHELD: _("We looked again and the decision stands."),
        Status.REVERSED: _("Your appeal was successful: the decision has been reversed."),
    }

    action = models.OneToOneField(ModAction, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_appeals",
    )
    text = models.TextField(max_length=3000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    route = models.CharField(max_length=10, choices=Route.choices, blank=True)
    #: When we told the appellant they would have an answer by.
    decide_by = models.DateTimeField(null=True, blank=True)
    #: When staff were told it is still waiting past `decide_by` (once only).
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"

    @property
    def outcome(self) -> str:
        """The decided outcome in the appellant's words; empty while it waits."""
        return self.OUTCOMES.get(self.status, "")

    @property
    def waiting_label(self) -> str:
        """The status badge, saying truthfully who it waits for."""
        if self.status != self.Status.PENDING:
            return self.get_status_display()
        if self.route == self.Route.STAFF:
            return str(_("Waiting for a member of staff"))
        if self.route == self.Route.NOBODY:
            return str(_("Waiting for someone who can decide it"))
        return self.get_status_display()

    @property
    def who_decides(self) -> str:
        """For the appellant, while it waits: who will look at it, and by when."""
        if self.status != self.Status.PENDING:
            return ""
        date = date_format(timezone.localtime(self.decide_by), "j F Y") if self.decide_by else ""
        if self.route == self.Route.MODERATOR and date:
            words = gettext(
                "Another moderator, not the one who made the decision, will read your appeal "
                "and reply by %(date)s."
            ) % {"date": date}
        elif self.route == self.Route.STAFF and date:
            words = gettext(
                "A member of the Village staff team will read your appeal and reply by "
                "%(date)s. The moderator who made the decision can't decide it."
            ) % {"date": date}
        elif self.route == self.Route.NOBODY:
            words = gettext(
                "We're sorry: right now nobody else on the Village team can decide it, and the "
                "moderator who made the decision can't. Your appeal is kept safe and will wait "
                "until someone can. We'll tell you the answer here and by email."
            )
        else:
            words = gettext("A different moderator will read your appeal and reply.")
        if self.overdue_alerted_at:
            words += " " + gettext(
                "We're sorry it is taking longer than we said. We've asked the staff team to "
                "make sure someone looks at it."
            )
        return words


class ImmutableError(Exception):
    """The audit log is append-only."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("The audit log is append-only.")

    def delete(self):
        raise ImmutableError("The audit log is append-only.")

    def bulk_update(self, *args, **kwargs):
        raise ImmutableError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what, when and why. Rows are written once and never changed or deleted by the
    app (save/delete/queryset update/delete refuse). Reports are logged with the report id and
    no actor: the reporter link lives on the Report, so erasing a reporter drops it there."""

    class Event(models.TextChoices):
        REPORT = "report", _("Report")
        CONCERN = "concern", _("Concern about a person")
        AUTO_HIDE = "auto_hide", _("Hidden automatically")
        WATCHLIST = "watchlist", _("Watch list")
        CRISIS = "crisis", _("Crisis alert")
        ACTION = "action", _("Moderation action")
        APPEAL = "appeal", _("Appeal")
        APPEAL_DECISION = "appeal_decision", _("Appeal decided")
        WATCHLIST_EDIT = "watchlist_edit", _("Watch list changed")
        HELPLINE_EDIT = "helpline_edit", _("Helplines changed")
        COMPLAINT = "complaint", _("Complaint")
        CASE_NOTE = "case_note", _("Private note added")
        REFERRAL = "referral", _("Passed to the safeguarding lead")
        ESCALATION = "escalation", _("Urgent alert escalated")
        ALERT_ACK = "alert_ack", _("Urgent alert picked up")
        ROTA_EDIT = "rota_edit", _("Rota changed")
        ORPHANED = "orphaned", _("Group needs a facilitator")

    event = models.CharField(max_length=20, choices=Event.choices)
    verb = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    case_id_ref = models.BigIntegerField(null=True, blank=True)
    message_id_ref = models.BigIntegerField(null=True, blank=True)
    target_id_ref = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["event", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.verb} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("The audit log is append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("The audit log is append-only.")


class WatchTerm(models.Model):
    class Action(models.TextChoices):
        BLOCK = "block", _("Block: not sent, the sender keeps their words")
        HOLD = "hold", _("Hold for review")
        FLAG = "flag", _("Post it and raise a report")

    term = models.CharField(_("word or phrase"), max_length=100)
    normalised = models.CharField(max_length=100, unique=True, editable=False)
    action = models.CharField(_("what happens"), max_length=10, choices=Action.choices)
    note = models.CharField(_("note for moderators"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return f"watch term {self.pk} ({self.action})"


class CrisisPhrase(models.Model):
    phrase = models.CharField(_("phrase"), max_length=100)
    normalised = models.CharField(max_length=100, unique=True, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class Helpline(models.Model):
    name = models.CharField(_("name"), max_length=100)
    how = models.CharField(
        _("how to reach them"), max_length=200, help_text=_('e.g. "Call 116 123"')
    )
    href = models.CharField(
        _("link"), max_length=100, blank=True, help_text=_('e.g. "tel:116123" or "sms:85258"')
    )
    hours = models.CharField(_("opening hours"), max_length=200)
    about = models.CharField(_("who it is for"), max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    class About(models.TextChoices):
        DECISION = "decision", _("A moderation decision")
        SERVICE = "service", _("The Village service itself")
        ILLEGAL = "illegal", _("Something illegal on Village that isn't a single message")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        LOOKING = "looking", _("We're looking into it")
        RESOLVED = "resolved", _("Resolved")
        NOT_UPHELD = "not_upheld", _("Not upheld")

    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    about = models.CharField(_("what it's about"), max_length=10, choices=About.choices)
    text = models.TextField(_("what happened"), max_length=4000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.TextField(_("outcome"), max_length=3000, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"complaint {self.pk} ({self.status})"


class EvasionSignal(models.Model):
    """A new account looked like a banned member's (moderation/evasion.py): a reason to look,
    never proof. Each group the account joins then gets one queue item about it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    banned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: Comma-separated: "device", "address", "name".
    reasons = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "banned"], name="evasion_once_per_pair")
        ]


# --- the moderators' rota (moderation/rota.py does the sums) -----------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Shift(models.Model):
    """A weekly shift in UK time (Europe/London, whatever the clocks do): `weekday` from
    `starts` to `ends`; an `ends` at or before `starts` runs past midnight into the next day.
    With `group` set, it is a facilitator's own hours for that group (shown to members, never
    part of the moderators' duty)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_shifts"
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["weekday", "starts", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="shift_day"),
            models.CheckConstraint(condition=~Q(starts=models.F("ends")), name="shift_not_empty"),
        ]

    def __str__(self) -> str:
        return f"shift {self.pk} ({self.weekday} {self.starts}-{self.ends})"


class RotaChange(models.Model):
    """A one-off change to the weekly rota. LEAVE: `person` is away for the dates (every
    shift starting on them) and `cover` takes them, or nobody if staff chose to leave them
    uncovered. SWAP: `cover` takes `person`'s one `shift` on `starts_on`."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        SWAP = "swap", _("Swap one shift")

    kind = models.CharField(max_length=5, choices=Kind.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.CASCADE)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="rota_change_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"rota change {self.pk} ({self.kind})"


class TransparencyQuarter(models.Model):
    """The public transparency page's figures for one calendar quarter, computed by the
    `refresh_transparency` job (moderation/transparency.py) and only read by the page. Figures
    only: counts, medians and shares, small counts already suppressed."""

    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter"], name="one_row_per_quarter"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="quarter_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"


class Risk(models.Model):
    """One risk in the illegal-harms risk assessment: a living document. What it says is its
    latest RiskRevision; every change is a new revision, so the history is never lost."""

    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"risk {self.pk}"


class RiskRevision(models.Model):
    class Level(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(_("risk"), max_length=200)
    description = models.TextField(_("what could happen"), max_length=3000, blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"), choices=Level.choices)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices)
    measures = models.TextField(_("what we do about it"), max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("owner"),
    )  # fmt: skip
    review_by = models.DateField(_("review by"))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    #: When staff were reminded that this revision's review date is near (once per revision).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["risk_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "version"], name="one_risk_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

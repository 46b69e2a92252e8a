"""Peer groups and who belongs to them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone


class Topic(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupQuerySet(models.QuerySet):
    def listed(self) -> "GroupQuerySet":
        return self.filter(visibility=Group.Visibility.LISTED)


class Group(models.Model):
    class MeetingMode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    class Visibility(models.TextChoices):
        LISTED = "listed", _("Listed in the directory")
        UNLISTED = "unlisted", _("Unlisted: reachable only by invite")

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("Anyone can join")
        REQUEST = "request", _("Ask to join")
        INVITE = "invite", _("By invitation only")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    description = models.TextField(_("about this group"), max_length=2000, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="groups")
    area = models.CharField(_("area"), max_length=100, blank=True, help_text=_('e.g. "Dudley"'))
    meeting_mode = models.CharField(
        _("how it meets"), max_length=12, choices=MeetingMode.choices, default=MeetingMode.IN_PERSON
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.LISTED
    )
    join_policy = models.CharField(
        _("who can join"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    join_questions = models.JSONField(
        _("questions for people asking to join"), default=list, blank=True
    )
    member_limit = models.PositiveIntegerField(_("member limit"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    house_rules = models.TextField(_("house rules"), max_length=4000, blank=True)
    private_details_check = models.BooleanField(
        _("ask before personal details are shared"),
        default=True,
        help_text=_(
            "Before a member shares a phone number, address or similar in the chat, Village "
            "asks them once if they're sure. Turn off for a group of professionals."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_limit__isnull=True) | Q(member_limit__gte=1),
                name="group_member_limit_positive",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="group_slug_not_empty"),
        ]
        indexes = [models.Index(fields=["visibility", "name"])]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(status=Membership.Status.ACTIVE)

    def facilitators(self) -> "MembershipQuerySet":
        return self.active().filter(role=Membership.Role.FACILITATOR)

    def not_away(self, day) -> "MembershipQuerySet":
        """Without the facilitators who marked themselves away on `day` (a date): they get
        no nudges or reminders for that group meanwhile."""
        from django.db.models import Exists, OuterRef

        return self.exclude(
            Exists(
                FacilitatorAway.objects.filter(
                    membership_id=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day
                )
            )
        )


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        FACILITATOR = "facilitator", _("Facilitator")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Member")
        PENDING = "pending", _("Asked to join")
        DECLINED = "declined", _("Request declined")
        LEFT = "left", _("Left")
        REMOVED = "removed", _("Removed")
        BANNED = "banned", _("Banned")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    request_answers = models.JSONField(default=list, blank=True)
    decision_message = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    muted_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_membership_per_user_group"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["active", "pending", "declined", "left", "removed", "banned"]
                ),
                name="membership_status_known",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["member", "facilitator"]), name="membership_role_known"
            ),
        ]
        indexes = [
            models.Index(fields=["group", "status", "role"]),
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_facilitator(self) -> bool:
        return self.is_active and self.role == self.Role.FACILITATOR

    def is_muted(self, now=None) -> bool:
        return bool(self.muted_until and self.muted_until > (now or timezone.now()))


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


class Invite(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invites")
    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invite_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"Invite to {self.group}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class FacilitatorAway(models.Model):
    """A facilitator's "I'm away" dates for one group (inclusive, UK dates: the site's zone).
    `cover` is a co-facilitator of the group who takes the register, the reminders and the
    drift view meanwhile; with no cover, `ask_moderators` says the moderators were asked.
    While away, the facilitator gets no nudges or reminders for this group."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="aways")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField(_("away from"))
    ends_on = models.DateField(_("back after"))
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ask_moderators = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="away_dates_in_order"
            ),
        ]
        indexes = [models.Index(fields=["group", "ends_on"])]

    def __str__(self) -> str:
        return f"away {self.pk} ({self.starts_on} to {self.ends_on})"

"""The services directory, modelled on the Open Referral UK profile (HSDS 3.0).

Field names follow the profile (`schema/service.json` and friends in OpenReferralUK/uk-profile)
so that what a council publishes lands in a column of the same name. A service comes either
from a feed (`feed` set, `oruk_id` is the feed's id) or is a local entry a facilitator added
for their group (`feed` empty, `group` set). Nothing here is ever deleted by a sync: a service
that leaves its feed is marked inactive, so referrals keep their history.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Feed(models.Model):
    """An Open Referral UK v3 API a site admin added by its base URL."""

    name = models.CharField(max_length=200)
    base_url = models.URLField(
        max_length=500,
        help_text=_("The API's base address, e.g. https://example.org/api/v3 (https only)."),
    )
    enabled = models.BooleanField(default=True)
    #: The plain result of the last sync, for the admin ("Synced 212 services at 03:00; ...").
    last_status = models.CharField(max_length=500, blank=True)
    last_ok = models.BooleanField(null=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)  # the last good sync
    services_synced = models.PositiveIntegerField(default=0)
    services_skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """`organization` in the profile: needs id, name and description."""

    feed = models.ForeignKey(Feed, null=True, blank=True, on_delete=models.CASCADE)
    oruk_id = models.CharField(max_length=100, default="", blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    uri = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "oruk_id"],
                condition=Q(feed__isnull=False),
                name="directory_org_unique_per_feed",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    """`taxonomy_term`: the needs a service meets. Ids are shared vocabularies, so one row
    per (taxonomy, oruk_id) across feeds."""

    oruk_id = models.CharField(max_length=100)
    taxonomy = models.CharField(max_length=200, blank=True)
    term = models.CharField(max_length=200)
    parent_id = models.CharField(max_length=100, blank=True)
    term_uri = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "oruk_id"], name="directory_term_unique")
        ]

    def __str__(self) -> str:
        return self.term


class Service(models.Model):
    class Status(models.TextChoices):
        # The profile's enum, word for word.
        ACTIVE = "active", _("Open")
        INACTIVE = "inactive", _("Not running at the moment")
        DEFUNCT = "defunct", _("Closed for good")
        TEMPORARILY_CLOSED = "temporarily closed", _("Closed for now")

    class Sharing(models.TextChoices):
        """Who sees a local entry (feed services are for everyone)."""

        GROUP = "group", _("Our group only")
        ASKED = "asked", _("Our group; asked to share with everyone")
        EVERYONE = "everyone", _("Everyone (approved by a moderator)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    oruk_id = models.CharField(max_length=100, default="", blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    #: Shown in the directory: active in its feed and still in it (local: not withdrawn).
    is_active = models.BooleanField(default=True)
    fees = models.TextField(blank=True)  # deprecated in the profile, still published
    accreditations = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    assured_date = models.DateField(null=True, blank=True)  # "last checked"
    alert = models.TextField(blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)
    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, blank=True, related_name="services")
    #: Where referrals go: a moderator's choice wins over the feed's email.
    referral_email = models.EmailField(
        blank=True, help_text=_("Where referrals go. Leave empty to use the service's email.")
    )
    # Local entries
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    sharing = models.CharField(max_length=10, choices=Sharing.choices, default=Sharing.GROUP)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "oruk_id"],
                condition=Q(feed__isnull=False),
                name="directory_service_unique_per_feed",
            ),
            models.CheckConstraint(
                condition=Q(feed__isnull=True) | Q(group__isnull=True),
                name="directory_service_feed_or_group",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_local(self) -> bool:
        return self.feed_id is None

    @property
    def referral_address(self) -> str:
        return self.referral_email or self.email


class Location(models.Model):
    """A `service_at_location`'s `location`, kept per service (with its first address)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="locations")
    oruk_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address_1 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["pk"]


class Schedule(models.Model):
    """`schedule`: RFC 5545 style (freq, byday) with the day's opening hours."""

    class Freq(models.TextChoices):
        WEEKLY = "WEEKLY", _("Weekly")
        DAILY = "DAILY", _("Daily")
        MONTHLY = "MONTHLY", _("Monthly")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    oruk_id = models.CharField(max_length=100, blank=True)
    freq = models.CharField(max_length=10, choices=Freq.choices, blank=True)
    interval = models.PositiveSmallIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=40, blank=True)  # "MO,TU"
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    attending_type = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]


class Contact(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    oruk_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["pk"]


class Phone(models.Model):
    """A `phone` of the service or of one of its contacts (tap to call)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="phones")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    oruk_id = models.CharField(max_length=100, blank=True)
    number = models.CharField(max_length=50)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    @property
    def tel(self) -> str:
        return "".join(c for c in self.number if c.isdigit() or c == "+")


class CostOption(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    oruk_id = models.CharField(max_length=100, blank=True)
    option = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_description = models.CharField(max_length=255, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]


class Language(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="languages")
    oruk_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["pk"]


class Referral(models.Model):
    """A member referred to a service, with their consent, followed to an outcome.

    Sensitive (health, children, money): only the member, the referring facilitator and site
    moderators see it (groups.permissions.REFERRAL_POLICY). The service answers through a
    personal link; only the SHA-256 of its token is stored."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Waiting for the member to agree")
        SENT = "sent", _("Sent")
        RECEIVED = "received", _("Received")
        IN_TOUCH = "in_touch", _("They've been in touch")
        HELPED = "helped", _("Closed: helped")
        NOT_RIGHT = "not_right", _("Closed: not the right service")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    CLOSED = frozenset({Status.HELPED, Status.NOT_RIGHT, Status.WITHDRAWN})

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="referrals_made",
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFERED)
    # What the member agreed to share, and the exact text they were shown.
    shared_name = models.CharField(max_length=150, blank=True)
    shared_contact = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    consent_text = models.TextField(blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    suggestion = models.TextField(blank=True)  # "not the right service: try ..."
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_answer_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "sent_at"])]

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class ReferralAnswer(models.Model):
    """Each answer the service gives, recorded once."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(max_length=12, choices=Referral.Status.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "kind"], name="directory_answer_once")
        ]

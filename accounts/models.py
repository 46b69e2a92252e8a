"""Members. The display name (a pseudonym is fine) is the only name other members ever see."""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FORMER_MEMBER = _("Former member")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("We don't recognise that time zone."), code="time_zone")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        extra.setdefault("display_name", email.split("@")[0][:60])
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        help_text=_("The name other members see. A nickname is fine."),
    )
    about = models.TextField(_("about me"), max_length=500, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    is_moderator = models.BooleanField(
        _("site moderator"),
        default=False,
        help_text=_("Site-wide moderators review reports across every group."),
    )
    is_safeguarding_lead = models.BooleanField(
        _("safeguarding lead"),
        default=False,
        help_text=_(
            "Gets the items moderators pass to the safeguarding lead. Must also be a site "
            "moderator or staff, to open them."
        ),
    )
    suspended_until = models.DateTimeField(
        _("suspended until"),
        null=True,
        blank=True,
        help_text=_("While suspended a member can read but not post anywhere."),
    )
    #: Kinds of personal detail (core.privatedetails.KINDS) the member asked us not to ask
    #: about again before they share them ("don't ask me again for phone numbers").
    private_details_skip = models.JSONField(
        _("don't ask before sharing"), default=list, blank=True
    )
    #: The terms version (TermsVersion.version) the member last accepted; 0 = none yet. The
    #: record of each acceptance is a TermsAcceptance row.
    terms_version = models.PositiveIntegerField(_("terms accepted"), default=0)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.display_name or f"member {self.pk}"

    def is_suspended(self, now=None) -> bool:
        return bool(self.suspended_until and self.suspended_until > (now or timezone.now()))

    @property
    def public_name(self) -> str:
        """The only name other members may see."""
        return self.display_name or str(FORMER_MEMBER)


class LoginSession(models.Model):
    """Which sessions belong to whom, so "log out everywhere" (account deletion) is one indexed
    lookup instead of decoding every session. Holds no personal data beyond the link: the
    session key is a secret, never shown or exported, and the row goes with the member."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")

    def __str__(self) -> str:
        return f"session of member {self.user_id}"


class DeviceSighting(models.Model):
    """An account logged in (or signed up) from this browser and address, as keyed hashes only
    (accounts/device.py). Used for one thing: noticing a banned member's new account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    device = models.CharField(max_length=40, blank=True, db_index=True)
    ip = models.CharField(max_length=40, blank=True, db_index=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)


class TermsVersion(models.Model):
    """One published version of Village's terms of service and house rules. Members accept
    the current one (the latest published) at sign-up and again when it changes; each
    acceptance is a TermsAcceptance row and `User.terms_version`."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("terms of service"))
    house_rules = models.TextField(_("house rules"), blank=True)
    summary = models.CharField(
        _("what changed, in a sentence"), max_length=300, blank=True,
        help_text=_("Shown to members when they're asked to agree again."),
    )  # fmt: skip
    published_at = models.DateTimeField(_("published"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["-published_at", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text=""), name="terms_version_has_text"
            ),
        ]

    def __str__(self) -> str:
        return f"Terms version {self.version}"


class TermsAcceptance(models.Model):
    """A member agreed to a terms version, and when."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once"),
        ]

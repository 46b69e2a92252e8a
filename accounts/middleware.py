import zoneinfo

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .security import mfa_setup_required


class UserTimezoneMiddleware:
    """Show times in the member's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class RequireMfaForStaffMiddleware:
    """Moderators and staff must set up two-factor authentication before anything else."""

    allowed_prefixes = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.VILLAGE_REQUIRE_MFA_FOR_STAFF
            and not request.path.startswith(self.allowed_prefixes)
            and mfa_setup_required(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

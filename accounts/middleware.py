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


class TermsMiddleware:
    """Members who haven't agreed to the current terms are asked to, plainly, before the next
    page. Only top-level page loads (GET) are sent to the accept page: a form being posted,
    a script's fetch, a calendar feed, websockets (not HTTP) and one-tap links (addresses with
    a token) carry on as before, and so do logging out and reading the terms."""

    #: URL names (namespace:name) that never wait for the terms.
    exempt_names = frozenset(
        {
            "terms:page",
            "terms:accept",
            "account_logout",
            "complaints",
            "healthz",
        }
    )
    exempt_prefixes = ("/static/", "/admin/", "/accounts/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "GET" or request.path.startswith(self.exempt_prefixes):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            return None  # a script's fetch: never answered with a redirect to a page
        match = request.resolver_match
        if match is None or match.view_name in self.exempt_names or "token" in view_kwargs:
            return None
        if request.GET.get("fragment"):
            return None
        from .selectors import terms_needed

        if terms_needed(user) is None:
            return None
        from django.utils.http import urlencode

        return redirect(
            reverse("terms:accept") + "?" + urlencode({"next": request.get_full_path()})
        )

"""Response headers Django does not set itself."""

from django.conf import settings
from django.utils.cache import patch_cache_control


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` on every response: no page needs the camera, microphone,
    payments or USB; location only for Village's own pages ("near me")."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = settings.PERMISSIONS_POLICY
        self.header = ", ".join(f"{name}=({' '.join(allow)})" for name, allow in policy.items())

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


# Pages that hold safeguarding content (reports, cases, check-ins, someone's data export):
# never stored anywhere, not in a shared cache, not in the browser's, not by the offline
# worker. By URL namespace, or "namespace:name" for single pages.
NO_STORE_NAMESPACES = frozenset({"moderation", "checkins"})
NO_STORE_VIEWS = frozenset({"accounts:export"})


class PrivatePagesMiddleware:
    """The one place that says how Village's responses may be kept (docs/phone.md).

    - A member's pages are ``Cache-Control: private`` (no shared cache keeps them), and carry
      ``Village-Member``, the opaque per-member id (config.pwa.member_key) the offline worker
      keys its copies by.
    - Safeguarding pages (above) are ``no-store``, logged in or not.
    - The response that ends a member's session here (log out, account deletion) carries
      ``Clear-Site-Data: "cache", "storage"``: the browser drops its caches, the offline copies,
      the chat outbox and the service worker.

    Sits right after AuthenticationMiddleware, so responses from the middleware inside it
    (a CSRF failure, the two-step log-in redirect) are covered too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        was_member = bool(user is not None and user.is_authenticated)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        is_member = bool(user is not None and user.is_authenticated)
        if was_member or is_member:
            patch_cache_control(response, private=True)
        if is_member:
            from config.pwa import member_key

            response.headers["Village-Member"] = member_key(user)
        if was_member and not is_member:
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
        if self._holds_safeguarding(request):
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _holds_safeguarding(request) -> bool:
        match = getattr(request, "resolver_match", None)
        if match is None:
            return False
        return bool(
            NO_STORE_NAMESPACES.intersection(match.namespaces)
            or match.view_name in NO_STORE_VIEWS
        )

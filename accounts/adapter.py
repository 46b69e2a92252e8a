import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.ratelimit import too_many_tries, wait_text


class AccountAdapter(DefaultAccountAdapter):
    """The one place Village customises allauth."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "That's a lot of tries, so we've paused logging in for a few minutes to keep your "
            "account safe. If you've forgotten your password, you can reset it."
        ),
    }

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data.get("display_name") or user.email.split("@")[0]
        version = getattr(form, "terms_version", None)
        if version and form.cleaned_data.get("accept_terms"):
            user.terms_version = version
        if commit:
            user.save()
            if version and form.cleaned_data.get("accept_terms"):
                from .services import terms_accept

                terms_accept(user=user, version=version)
        return user

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts failed log-ins per IP and per this key ("login_failed" in
        # ACCOUNT_RATE_LIMITS). On the address alone, a few wrong guesses from anyone would lock
        # its owner out too; on the address and the IP, a guesser locks out only themselves.
        # (A password reset clears the count for the IP it was asked from.)
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}:{ratelimit.get_ip(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        """Over the failed-login limit: a 429 that says how long to wait (allauth would show
        the form again with a 200)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            wait = self._login_failed_wait(request, **credentials)
            message = gettext(
                "Too many tries. Please wait %(wait)s and try again, or reset your password."
            ) % {"wait": wait_text(wait)}
            raise ImmediateHttpResponse(
                too_many_tries(request, wait=wait, message=message, reset_password=True)
            ) from None

    def _login_failed_wait(self, request, **credentials) -> float:
        """Seconds until every "login_failed" rate that is full lets one more try through."""
        key = self._get_login_attempts_cache_key(request, **credentials)
        rates = ratelimit.get_rates(app="allauth.account", action="login_failed")
        now = time.time()
        waits = []
        for rate in rates:
            cache_key = ratelimit.get_cache_key(
                request, app="allauth.account", action="login_failed", rate=rate, key=key
            )
            recent = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
            if len(recent) >= rate.amount:  # newest first: the amount-th newest must age out
                waits.append(recent[rate.amount - 1] + rate.duration - now)
        # None full: allauth could not take the count's lock (busy); the shortest rate's wait.
        return max(waits, default=min((r.duration for r in rates), default=60))

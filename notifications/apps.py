from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from accounts import privacy

        from .selectors import notifications_export

        # Erasing is done by account_delete itself (rows are deleted, not anonymised).
        privacy.register("notifications", export=notifications_export)

        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_forget_this_browser, dispatch_uid="notifications.webpush.logout")


def _forget_this_browser(sender, request, user, **kwargs) -> None:
    """Logging out (allauth logs out through django.contrib.auth, before the session is
    flushed) stops push notifications to this browser."""
    from .services import BROWSER_SESSION_KEY, push_subscriptions_forget_browser

    if user is None or request is None or not hasattr(request, "session"):
        return
    push_subscriptions_forget_browser(
        user_id=user.pk, browser_key=request.session.get(BROWSER_SESSION_KEY)
    )

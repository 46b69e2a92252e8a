from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from accounts import privacy

        from .selectors import notifications_export

        # Erasing is done by account_delete itself (rows are deleted, not anonymised).
        privacy.register("notifications", export=notifications_export)

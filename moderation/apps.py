from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from accounts import privacy
        from chat import screening as chat_screening

        from . import privacy as moderation_privacy
        from .screening import screen_text
        from .services import screen_hook

        chat_screening.register_screener(screen_text)
        chat_screening.register_after_send(screen_hook)
        privacy.register(
            "moderation", export=moderation_privacy.export, erase=moderation_privacy.erase
        )

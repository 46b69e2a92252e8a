from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        from accounts import privacy

        from .services import privacy_erase, privacy_export

        privacy.register("chat", export=privacy_export, erase=privacy_erase)

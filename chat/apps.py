from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        from accounts import privacy

        from .services import privacy_erase, privacy_export

        privacy.register("chat", export=privacy_export, erase=privacy_erase)

        from accounts.security import session_ended

        from .events import session_ended_on_commit

        session_ended.connect(session_ended_on_commit, dispatch_uid="village_chat_session_ended")

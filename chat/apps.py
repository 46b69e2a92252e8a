from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        from accounts import privacy

        from .services import privacy_erase, privacy_export

        privacy.register("chat", export=privacy_export, erase=privacy_erase)

        # The apps below chat ask it through hooks, never by importing it.
        from groups import hooks as group_hooks
        from notifications import hooks as notification_hooks

        from . import selectors

        group_hooks.register(
            unread_counts=selectors.unread_counts, load_message=selectors.message_with_room
        )
        notification_hooks.register(mention_snippets=selectors.mention_texts)

        from accounts.security import session_ended

        from .events import session_ended_on_commit

        session_ended.connect(session_ended_on_commit, dispatch_uid="village_chat_session_ended")

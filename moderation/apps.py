from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts import privacy
        from chat import screening as chat_screening
        from groups.models import Membership

        from . import privacy as moderation_privacy
        from . import signals
        from .models import CrisisPhrase, WatchTerm
        from .screening import lists_changed, screen_text
        from .services import screen_hook

        chat_screening.register_screener(screen_text)
        chat_screening.register_after_send(screen_hook)
        privacy.register(
            "moderation", export=moderation_privacy.export, erase=moderation_privacy.erase
        )
        post_save.connect(signals.membership_changed, sender=Membership, dispatch_uid="mod-facil")
        post_delete.connect(
            signals.membership_changed, sender=Membership, dispatch_uid="mod-facil-del"
        )
        for model in (WatchTerm, CrisisPhrase):
            post_save.connect(lists_changed, sender=model, dispatch_uid=f"screen-{model.__name__}")
            post_delete.connect(
                lists_changed, sender=model, dispatch_uid=f"screen-del-{model.__name__}"
            )
        user_logged_in.connect(signals.logged_in, dispatch_uid="mod-facil-login")

        from allauth.account.signals import user_signed_up

        from . import evasion

        user_signed_up.connect(evasion.on_signed_up, dispatch_uid="mod-evasion-signup")
        post_save.connect(
            evasion.on_membership_saved, sender=Membership, dispatch_uid="mod-evasion-join"
        )

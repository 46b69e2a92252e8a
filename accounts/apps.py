from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import privacy, sessions
        from .services import profile_export

        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="village_session_owner_in")
        from . import device

        user_logged_in.connect(device.on_logged_in, dispatch_uid="village_device_sighting")
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="village_session_owner_out")

        privacy.register("accounts", export=profile_export)

        from django.contrib.sessions.models import Session
        from django.db.models.signals import post_delete, post_save

        from .models import User

        post_delete.connect(sessions.on_session_deleted, sender=Session, dispatch_uid="village_ss")
        post_save.connect(sessions.on_user_saved, sender=User, dispatch_uid="village_pw")

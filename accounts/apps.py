from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import privacy
        from .services import profile_export

        privacy.register("accounts", export=profile_export)

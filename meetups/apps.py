from django.apps import AppConfig


class MeetupsConfig(AppConfig):
    name = "meetups"
    verbose_name = "Meetups"

    def ready(self) -> None:
        from accounts import privacy

        from . import privacy as meetups_privacy

        privacy.register("meetups", export=meetups_privacy.export, erase=meetups_privacy.erase)

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Services directory"

    def ready(self) -> None:
        from accounts import privacy

        from . import privacy as directory_privacy

        privacy.register(
            "directory", export=directory_privacy.export, erase=directory_privacy.erase
        )

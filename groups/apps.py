from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Peer groups"

    def ready(self) -> None:
        from accounts import privacy

        from . import privacy as groups_privacy

        privacy.register("groups", export=groups_privacy.export, erase=groups_privacy.erase)

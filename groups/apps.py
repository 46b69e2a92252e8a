from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Peer groups"

    def ready(self) -> None:
        from accounts import privacy

        from . import permissions
        from . import privacy as groups_privacy

        permissions.connect_stamp_signals()

        from notifications import hooks

        hooks.register(is_moderator=permissions.is_site_moderator)

        privacy.register(
            "groups",
            export=groups_privacy.export,
            erase=groups_privacy.erase,
            warn=groups_privacy.warn,
        )

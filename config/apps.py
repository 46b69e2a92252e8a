from django.apps import AppConfig


class VillageConfig(AppConfig):
    """`config` as an app: its deploy checks (config/checks.py) and jobs (config/tasks.py)."""

    name = "config"
    label = "village_config"
    verbose_name = "Village site"

    def ready(self) -> None:
        from config import checks  # noqa: F401 (registers the checks)

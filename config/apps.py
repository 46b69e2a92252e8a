from django.apps import AppConfig


class VillageConfig(AppConfig):
    """`config` as an app: its deploy checks (config/checks.py), jobs (config/tasks.py) and the
    metrics of every job (config/metrics.py)."""

    name = "config"
    label = "village_config"
    verbose_name = "Village site"

    def ready(self) -> None:
        from config import checks  # noqa: F401 (registers the checks)
        from config.metrics import watch_jobs

        watch_jobs()

"""`village metrics_reset`: empty the shared metrics directory before Village's processes start.

With PROMETHEUS_MULTIPROC_DIR set, every process of a machine (daphne ×N, the Huey consumer)
keeps its numbers in files there and `/metrics` adds them up (config/metrics.py).
prometheus-client asks for the directory to be emptied whenever they all (re)start, or the
files of old processes pile up; deploy/systemd/village-metrics.service runs this first.
Without the setting it does nothing.
"""

import os
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Empty PROMETHEUS_MULTIPROC_DIR (run before the web and job processes start)."

    def handle(self, *args, **options):
        where = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
        if not where:
            self.stdout.write("PROMETHEUS_MULTIPROC_DIR is not set: nothing to do.")
            return
        path = Path(where)
        if path.exists():
            for child in path.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        path.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"Emptied {path}.")

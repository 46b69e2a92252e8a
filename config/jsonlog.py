"""LOG_FORMAT=json's formatter: python-json-logger's, holding to the same rules as the plain
lines. Extra fields that code attaches to a record (Django attaches the whole `request`) are
kept only when they are plain numbers, flags or short strings, and every string, the
traceback included, has secret paths masked (config.logfilters.mask_secrets)."""

from __future__ import annotations

from pythonjsonlogger.json import JsonFormatter

from config.logfilters import mask_secrets

DROPPED = {"request", "scope", "user", "exc_text", "taskName"}


class VillageJsonFormatter(JsonFormatter):
    def process_log_record(self, log_data):
        kept = {}
        for key, value in log_data.items():
            if key in DROPPED:
                continue
            if isinstance(value, str):
                kept[key] = mask_secrets(value)
            elif value is None or isinstance(value, bool | int | float):
                kept[key] = value
        return kept

    def formatException(self, ei):  # noqa: N802 (logging's name)
        return mask_secrets(super().formatException(ei))

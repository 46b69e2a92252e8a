"""`DJANGO_SETTINGS_MODULE=config.settings`, the default for manage.py, daphne and Huey: the
settings in `base`, as they are. Tests use `config.settings.test`."""

from .base import *  # noqa: F403

"""The settings pytest runs with (pyproject.toml): `base`, plus what tests need.

Chosen by name, not guessed: the subprocesses that tests start (the browser tests' daphne, the
fault tests' servers, `check --deploy`) set DJANGO_SETTINGS_MODULE=config.settings themselves
and get the real thing. `base` is loaded first (it is the package), so it must load under the
test environment too: with SECRET_KEY unset, DEBUG is on and the development key is used.
"""

import os
import uuid

from django.conf import global_settings as _django

from .base import *  # noqa: F403
from .base import DEBUG, LOCAL_HOSTS, caches_for, channel_layers_for, env_bool, env_list, huey_for

# The test client's host names, whatever DEBUG says.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS)

# Tests on a shared Redis get their own key space, so parallel runs never see each other.
REDIS_PREFIX = os.environ.get("VILLAGE_REDIS_PREFIX", f"village-test-{uuid.uuid4().hex[:8]}")
CHANNEL_LAYERS = channel_layers_for(REDIS_PREFIX)
CACHES = caches_for(REDIS_PREFIX)
# Background jobs run inline, so a test sees their effects at once.
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", default=True)
HUEY = huey_for(REDIS_PREFIX, HUEY_IMMEDIATE)

# Fast to hash: tests make many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

WHITENOISE_AUTOREFRESH = True
# Plain static names: tests never run collectstatic, even with SECRET_KEY set (DEBUG off). The
# browser tests' server runs the real thing (tests/e2e/conftest.py runs collectstatic).
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}}

# The test client speaks plain HTTP: Django's defaults, even when SECRET_KEY turns DEBUG off.
# (tests/config/test_security.py checks the production values in a subprocess.)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = _django.SECURE_PROXY_SSL_HEADER
    SECURE_SSL_REDIRECT = _django.SECURE_SSL_REDIRECT
    SESSION_COOKIE_SECURE = _django.SESSION_COOKIE_SECURE
    CSRF_COOKIE_SECURE = _django.CSRF_COOKIE_SECURE
    SECURE_HSTS_SECONDS = _django.SECURE_HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _django.SECURE_HSTS_INCLUDE_SUBDOMAINS
    SECURE_HSTS_PRELOAD = _django.SECURE_HSTS_PRELOAD

"""Deploy-time checks (`manage.py check --deploy`): settings that work on a laptop and hurt a
real site. Each message says what is wrong and what to set instead.

Registered by config.apps.VillageConfig with the "deploy" tag, so they run only with --deploy,
next to Django's own security checks.
"""

from __future__ import annotations

import importlib.util
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}  # noqa: S104 (names, not binds)
TEST_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints emails to the console",
    "django.core.mail.backends.locmem.EmailBackend": "keeps emails in memory",
    "django.core.mail.backends.dummy.EmailBackend": "throws emails away",
    "django.core.mail.backends.filebased.EmailBackend": "writes emails to files",
}


def processes() -> int:
    """How many web processes this site runs: VILLAGE_PROCESSES (settings), 1 when unset."""
    return int(getattr(settings, "VILLAGE_PROCESSES", 1) or 1)


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    host = (urlsplit(getattr(settings, "SITE_URL", "")).hostname or "").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return [
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in emails, invites and calendar "
                "feeds would point at this machine, not at your site.",
                hint="Set SITE_URL to the address members use, e.g. https://village.example.org.",
                id="village.W001",
            )
        ]
    return []


@checks.register(checks.Tags.caches, deploy=True)
def check_redis_for_several_processes(app_configs=None, **kwargs):
    if settings.DEBUG or getattr(settings, "REDIS_URL", "") or processes() <= 1:
        return []
    return [
        checks.Error(
            f"VILLAGE_PROCESSES is {processes()} but REDIS_URL is not set: each process would "
            "keep its own chat rooms, cache and rate limits, so messages sent to one process "
            "would never reach members connected to another.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), or run a single process.",
            id="village.E002",
        )
    ]


@checks.register(deploy=True)
def check_vapid_keys(app_configs=None, **kwargs):
    # Web push is its own feature (notifications/webpush.py); nothing to check without it.
    if importlib.util.find_spec("notifications.webpush") is None:
        return []
    if getattr(settings, "VAPID_PRIVATE_KEY", "") and getattr(settings, "VAPID_PUBLIC_KEY", ""):
        return []
    return [
        checks.Warning(
            "Web push has no VAPID key pair, so phone notifications cannot be sent.",
            hint="Make a pair with `manage.py vapid_keys` and set VAPID_PRIVATE_KEY and "
            "VAPID_PUBLIC_KEY on every process.",
            id="village.W003",
        )
    ]


@checks.register(deploy=True)
def check_email_backend(app_configs=None, **kwargs):
    what = TEST_EMAIL_BACKENDS.get(getattr(settings, "EMAIL_BACKEND", ""))
    if what is None:
        return []
    return [
        checks.Warning(
            f"EMAIL_BACKEND {what}: sign-up confirmations, password resets and safeguarding "
            "alerts would never reach anyone.",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST, "
            "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS.",
            id="village.W004",
        )
    ]


@checks.register(checks.Tags.database, deploy=True)
def check_database(app_configs=None, **kwargs):
    engine = settings.DATABASES.get("default", {}).get("ENGINE", "")
    if not engine.endswith("sqlite3"):
        return []
    return [
        checks.Warning(
            "The database is SQLite: one writer at a time, no point-in-time backups, and a file "
            "only this machine can reach.",
            hint="Set DATABASE_URL to PostgreSQL, e.g. postgres://village@127.0.0.1:5432/village.",
            id="village.W005",
        )
    ]

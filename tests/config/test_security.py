"""Production settings: `check --deploy` is clean, the CSP forbids inline scripts, and CI
really runs on PostgreSQL and Redis."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_", "SECURE_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HUEY_IMMEDIATE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "village.example.org",
            "SITE_URL": "https://village.example.org",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            **extra,
        }
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warnings_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    if not os.environ.get("DATABASE_URL"):
        # Without PostgreSQL (a laptop), "SQLite in production" is the one expected warning.
        issues = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
        assert issues == {"village.W005"}, result.stdout + result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_would_catch_a_weak_setting():
    """The test above is not vacuous: switching HSTS off makes the same command fail."""
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_HSTS_SECONDS="0")
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_cookies_and_hsts():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT, "
        "s.ACCOUNT_EMAIL_VERIFICATION, s.VILLAGE_REQUIRE_MFA_FOR_STAFF)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["False", "True", "True", "True", "True", "mandatory", "True"]


def test_csp_header_forbids_inline_scripts(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = {
        part.strip().split()[0]: part.strip().split()[1:] for part in policy.split(";") if part
    }
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_csp_header_on_the_allauth_pages_too(client, db):
    for path in ("/accounts/login/", "/accounts/signup/"):
        assert "script-src 'self'" in client.get(path)["Content-Security-Policy"]


def test_templates_have_no_inline_scripts_or_style_attributes():
    """CSP would block them in the browser; catch them before a member does. Emails are
    exempt (they are read in mail apps, not under our CSP)."""
    bad = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "email" in path.name:
            continue
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and "application/json" not in tag:
                bad.append(f"{path.relative_to(ROOT)}: {tag}")
        if re.search(r"\sstyle=\"", text):
            bad.append(f"{path.relative_to(ROOT)}: style attribute")
        if re.search(r"\son[a-z]+=\"", text):
            bad.append(f"{path.relative_to(ROOT)}: inline event handler")
    assert not bad, "\n".join(bad)


@pytest.mark.skipif(not os.environ.get("CI"), reason="only on CI (set CI=1)")
def test_ci_runs_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    rooms = settings.CHANNEL_LAYERS["rooms"]["BACKEND"]
    assert rooms == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert settings.CACHES["default"]["BACKEND"] == "config.cache.ResilientRedisCache"

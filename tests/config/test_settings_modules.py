"""Settings are split the Django way: `config.settings` (the package, i.e. `base`) is what
manage.py, daphne and Huey load, and pytest loads `config.settings.test`. Nothing in the
settings looks at which modules are imported to guess whether it is under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

_SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SETTINGS_MODULE, s.PASSWORD_HASHERS[0].rsplit('.', 1)[-1], s.HUEY['immediate'], "
    "s.WHITENOISE_AUTOREFRESH, s.REDIS_PREFIX.startswith('village-test-'), "
    "getattr(s, 'SECURE_SSL_REDIRECT', False), s.ALLOWED_HOSTS)"
)


def _plain_env(**extra: str) -> dict[str, str]:
    """This process's environment without pytest's and Django's variables, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_", "SECURE_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HUEY_IMMEDIATE"}
        and k not in {"VILLAGE_REDIS_PREFIX", "PASSWORD_HASHERS"}
    }
    env.update(extra)
    return env


def _show(code_before: str = "", **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code_before + _SHOW],
        cwd=ROOT,
        env=_plain_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().split(maxsplit=6)


def test_pytest_runs_with_the_test_settings_module():
    assert settings.SETTINGS_MODULE == "config.settings.test"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert settings.HUEY["immediate"] is True
    # A shared Redis gives each test run its own key space.
    assert settings.REDIS_PREFIX.startswith("village-test-")


def test_the_default_module_still_sets_django_up():
    """DJANGO_SETTINGS_MODULE=config.settings (the README's, manage.py's and daphne's) works,
    and is not the test module."""
    out = _show(DJANGO_SETTINGS_MODULE="config.settings")
    assert out[:6] == ["config.settings", "PBKDF2PasswordHasher", "False", "True", "False", "False"]


def test_importing_pytest_does_not_switch_the_default_module_to_test_mode():
    """The old settings sniffed `"pytest" in sys.modules`; a process that merely imports pytest
    (a script, a benchmark helper) must get the real settings."""
    out = _show("import pytest; ", DJANGO_SETTINGS_MODULE="config.settings")
    assert out[:6] == ["config.settings", "PBKDF2PasswordHasher", "False", "True", "False", "False"]


def test_the_test_module_is_plain_http_even_with_production_variables():
    """With SECRET_KEY set (DEBUG then off), the test module still keeps the test switches:
    no HTTPS redirect, the local host names, jobs run inline, its own Redis key space."""
    out = _show(
        DJANGO_SETTINGS_MODULE="config.settings.test", SECRET_KEY="k" * 60, DEBUG="0"
    )
    assert out == [
        "config.settings.test",
        "MD5PasswordHasher",
        "True",
        "True",
        "True",
        "False",
        "['localhost', '127.0.0.1', '[::1]']",
    ]


def test_production_variables_with_the_default_module_are_production():
    out = _show(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="k" * 60,
        DEBUG="0",
        ALLOWED_HOSTS="village.example.org",
    )
    assert out == [
        "config.settings",
        "PBKDF2PasswordHasher",
        "False",
        "False",
        "False",
        "True",
        "['village.example.org']",
    ]


def test_nothing_in_the_settings_sniffs_for_pytest():
    for path in (ROOT / "config" / "settings").rglob("*.py"):
        text = path.read_text()
        assert "sys.modules" not in text, path
        assert "VILLAGE_TESTING" not in text, path

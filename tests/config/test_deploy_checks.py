"""`check --deploy`'s Village checks (config/checks.py): each fires on a bad setting, names it,
and stays quiet on a good one."""

import importlib.util
import re

import pytest
from django.core import checks
from django.core.management import call_command

from tests.config.test_security import manage, production_env

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def deploy_ids() -> set[str]:
    messages = checks.run_checks(include_deployment_checks=True)
    return {m.id for m in messages if m.id and m.id.startswith("village.")}


GOOD = {
    "DEBUG": False,
    "SITE_URL": "https://village.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "VILLAGE_PROCESSES": 4,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "VAPID_PRIVATE_KEY": "private",
    "VAPID_PUBLIC_KEY": "public",
}


@pytest.fixture
def good(settings):
    for name, value in GOOD.items():
        setattr(settings, name, value)
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"},
    }
    return settings


def test_good_settings_are_quiet(good):
    assert deploy_ids() == set()


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]",
                                 "http://village.localhost"])
def test_site_url_left_at_localhost(good, url):
    good.SITE_URL = url
    assert deploy_ids() == {"village.W001"}


def test_several_processes_without_redis(good):
    good.REDIS_URL = ""
    messages = [m for m in checks.run_checks(include_deployment_checks=True)
                if m.id == "village.E002"]
    assert len(messages) == 1 and messages[0].level == checks.ERROR
    assert "VILLAGE_PROCESSES is 4" in messages[0].msg


def test_one_process_without_redis_is_fine(good):
    good.REDIS_URL = ""
    good.VILLAGE_PROCESSES = 1
    assert deploy_ids() == set()


def test_several_processes_without_redis_in_debug_is_a_developer(good):
    good.REDIS_URL = ""
    good.DEBUG = True
    assert "village.E002" not in deploy_ids()


@pytest.mark.parametrize("backend", ["console", "locmem", "dummy", "filebased"])
def test_email_that_goes_nowhere(good, backend):
    good.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
    assert deploy_ids() == {"village.W004"}


def test_sqlite(good, settings):
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"},
    }
    assert deploy_ids() == {"village.W005"}


@pytest.mark.skipif(importlib.util.find_spec("notifications.webpush") is None,
                    reason="web push is not in this build")
def test_web_push_without_vapid_keys(good):
    good.VAPID_PRIVATE_KEY = ""
    assert deploy_ids() == {"village.W003"}


def test_checks_run_only_with_deploy(good):
    good.SITE_URL = "http://localhost:8000"
    plain = {m.id for m in checks.run_checks()}
    assert "village.W001" not in plain
    call_command("check")  # no --deploy: nothing of ours can fail it


def test_check_deploy_command_fails_on_several_processes_without_redis():
    """The real command, in a fresh process with production settings from the environment."""
    env = production_env(VILLAGE_PROCESSES="3")
    env.pop("REDIS_URL", None)
    result = manage("check", "--deploy", env=env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "village.E002" in out and "REDIS_URL" in out
    assert re.search(r"village\.W001", out) is None  # SITE_URL is set in production_env

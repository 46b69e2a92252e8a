"""Behind a proxy, rate limits must see each member's own address (TRUSTED_PROXY_COUNT), and
in production they live in Redis so every daphne process shares them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from tests.accounts.conftest import private_cache
from tests.config.test_security import ROOT, production_env

PROXY = "10.0.0.5"  # the proxy every request arrives from


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    private_cache(settings)  # never cache.clear(): on Redis that flushes the shared database


PAUSED = "Too many tries"


def _fail_login(client: Client, n: int, ip: str) -> bool:
    """A failed log-in from `ip` (through the proxy); True when rate limiting refused it."""
    response = client.post(
        "/accounts/login/",
        {"login": f"nobody{n}@example.com", "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=ip,
    )
    return response.status_code == 429 or PAUSED in response.content.decode()


def test_one_persons_failed_logins_do_not_lock_out_everyone_behind_the_proxy(db, behind_one_proxy):
    guesser = Client()
    paused = [_fail_login(guesser, n, "203.0.113.7") for n in range(12)]
    assert paused[:10] == [False] * 10 and paused[-1]  # 10 a minute per address...
    # ...but a parent on another address, through the same proxy, can still try.
    assert not _fail_login(Client(), 99, "198.51.100.23")


def test_without_the_setting_everyone_behind_the_proxy_shares_one_limit(db, settings):
    """Why the setting matters (and what the test above would catch if it were ignored)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    private_cache(settings)
    for n in range(12):
        _fail_login(Client(), n, "203.0.113.7")
    assert _fail_login(Client(), 99, "198.51.100.23")


def test_production_reads_the_proxy_count_and_keeps_limits_in_redis():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from allauth import app_settings as a; "
        "print(a.TRUSTED_PROXY_COUNT, s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    env = production_env(TRUSTED_PROXY_COUNT="2", REDIS_URL="redis://127.0.0.1:6379/0")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2", "ResilientRedisCache"]  # config/cache.py: Redis, failing soft

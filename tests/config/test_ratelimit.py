"""config.ratelimit: the one mechanism behind every form's rate limit. When the shared cache is
unreachable it counts in the process instead: never a 500, never "refuse everyone", never "no
limit at all"."""

from __future__ import annotations

import logging

import pytest
import redis
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from config import ratelimit
from moderation.models import Complaint
from tests.config.test_security import manage, production_env
from tests.factories import UserFactory
from tests.ratelimits import LIMIT, tight_limits  # noqa: F401

pytestmark = pytest.mark.django_db


class UnreachableCache(LocMemCache):
    """Redis gone: every command raises."""

    def add(self, *args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    incr = get = set = add


class ForgetfulCache(LocMemCache):
    """A cache that answers but keeps nothing (django-ratelimit's "could not count")."""

    def add(self, *args, **kwargs):
        return False

    def incr(self, *args, **kwargs):
        raise ValueError("no such key")


@pytest.fixture
def limits_cache(settings, request):
    request.getfixturevalue("tight_limits")

    def use(backend: type) -> None:
        settings.CACHES = {
            **settings.CACHES,
            "limits": {"BACKEND": f"{__name__}.{backend.__name__}", "LOCATION": "limits"},
        }
        settings.RATELIMIT_USE_CACHE = "limits"

    ratelimit._local.clear()
    yield use
    ratelimit._local.clear()


def _complain(client: Client, text: str = "Nobody answered my message"):
    return client.post("/moderation/complaint/", {"about": "service", "text": text})


@pytest.mark.parametrize("backend", [UnreachableCache, ForgetfulCache])
def test_a_broken_cache_degrades_to_a_limit_in_this_process(backend, limits_cache, caplog):
    limits_cache(backend)
    parent, other = UserFactory(), UserFactory()
    client = Client()
    client.force_login(parent)
    with caplog.at_level(logging.WARNING):
        for _ in range(LIMIT):
            assert _complain(client, "a private worry").status_code == 302  # not refused...
        assert _complain(client, "a private worry").status_code == 429  # ...nor unlimited
    assert Complaint.objects.filter(complainant=parent).count() == LIMIT
    # Someone else still gets through: the fallback counts per member too.
    other_client = Client()
    other_client.force_login(other)
    assert _complain(other_client).status_code == 302
    assert any("counting in this process" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "a private worry" in r.getMessage()]


@pytest.mark.usefixtures("tight_limits")
def test_gets_are_never_counted():
    client = Client()
    client.force_login(UserFactory())
    for _ in range(LIMIT + 3):
        assert client.get("/moderation/complaint/").status_code == 200
    assert _complain(client).status_code == 302


@pytest.mark.usefixtures("tight_limits")
def test_logged_out_posts_are_counted_per_network_address():
    for _ in range(LIMIT):
        Client().post(
            "/moderation/closed/resend/", {"email": "a@example.com"}, REMOTE_ADDR="1.2.3.4"
        )
    refused = Client().post(
        "/moderation/closed/resend/", {"email": "a@example.com"}, REMOTE_ADDR="1.2.3.4"
    )
    assert refused.status_code == 429
    elsewhere = Client().post(
        "/moderation/closed/resend/", {"email": "a@example.com"}, REMOTE_ADDR="5.6.7.8"
    )
    assert elsewhere.status_code == 200


def test_the_kept_form_never_carries_a_password_or_the_old_csrf_token(rf, settings):
    request = rf.post(
        "/x/", {"text": "my words here", "password": "s3cret", "csrfmiddlewaretoken": "t"}
    )
    assert ratelimit._kept(request) == [("text", ["my words here"])]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 second"), (59.2, "1 minute"), (60, "1 minute"), (61, "2 minutes"), (7200, "2 hours")],
)
def test_wait_text_rounds_up(seconds, text):
    assert ratelimit.wait_text(seconds) == text


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"])
def test_system_checks_pass_with_the_projects_caches(redis_url):
    env = production_env(REDIS_URL=redis_url) if redis_url else production_env()
    result = manage("check", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr

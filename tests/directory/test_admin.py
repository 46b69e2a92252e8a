"""The feed admin: addresses are checked when added; a sync from the admin says how it went.
The service's answer link is masked in logs."""

import pytest
from django.urls import reverse

from config.logfilters import mask_secrets
from directory.models import Feed
from tests.factories import UserFactory

from .feedserver import service_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["http://example.org/api", "https://10.0.0.7/api"])
def test_an_internal_or_plain_http_feed_is_refused_kindly(admin, settings, url):
    settings.VILLAGE = {**settings.VILLAGE, "DIRECTORY_FEED_ALLOW_LOOPBACK": False}
    response = admin.post(reverse("admin:directory_feed_add"),
                          {"name": "Council", "base_url": url, "enabled": "on"})
    assert response.status_code == 200
    assert "This address can&#x27;t be used" in response.content.decode()
    assert not Feed.objects.exists()


def test_sync_now_from_the_admin(admin, feed, feed_server):
    feed_server.add(service_record("0c5a3e52-8f0e-4b7c-9a7e-4f3b2d1c0a09", "Hub"))
    response = admin.post(reverse("admin:directory_feed_changelist"),
                          {"action": "sync_now", "_selected_action": [feed.pk]}, follow=True)
    assert "Synced 1 service at" in response.content.decode()
    page = admin.get(reverse("admin:directory_feed_changelist")).content.decode()
    assert "Synced 1 service at" in page


def test_answer_links_are_masked_in_logs():
    line = 'GET /help/answer/Zx9_secret-token/ HTTP/1.1" 200'
    assert "Zx9_secret-token" not in mask_secrets(line)

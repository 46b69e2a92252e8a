"""AGPL section 13: every page links to the source of the code the server runs."""

import io
import re
import tarfile

import pytest
from django.urls import reverse

from config import source


@pytest.fixture(autouse=True)
def _fresh_archive():
    source.source_archive.cache_clear()
    yield
    source.source_archive.cache_clear()


@pytest.mark.django_db
def test_footer_links_to_the_running_source_by_default(client, settings):
    settings.SOURCE_CODE_URL = ""
    page = client.get(reverse("home")).content.decode()
    assert re.search(r'<a href="/source\.tar\.gz">Get its source code</a>', page)
    assert "GNU AGPL" in page


@pytest.mark.django_db
def test_footer_links_to_the_deployers_repository_when_set(client, settings):
    settings.SOURCE_CODE_URL = "https://git.example.org/our-village"
    page = client.get(reverse("home")).content.decode()
    assert '<a href="https://git.example.org/our-village">Get its source code</a>' in page


@pytest.mark.django_db
def test_archive_is_the_code_and_licence_and_nothing_private(client, settings, tmp_path):
    response = client.get("/source.tar.gz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        names = set(tar.getnames())
        licence = tar.extractfile("village/LICENSE").read().decode()
        this = tar.extractfile("village/config/source.py").read()
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in licence
    assert "13. Remote Network Interaction" in licence
    assert this == (settings.BASE_DIR / "config" / "source.py").read_bytes()
    assert "village/templates/base.html" in names
    assert "village/chat/consumers.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".sqlite3"))]
    assert not [n for n in names if n.startswith(("village/var/", "village/.venv/"))]

"""chat.js, bell.js and moderation.js are ES modules that import ./reconnect.js. After
collectstatic, with the storage in settings.STORAGES, each one's import must lead to the
reconnect.js that `{% static %}` names: a hashing (manifest) storage that leaves the relative
import alone would load a stale or missing helper, and every live part would go dead."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.templatetags.static import static

MODULES = ["js/chat.js", "js/bell.js", "js/moderation.js"]
IMPORT = re.compile(r"""^\s*import\s[^;]*?from\s+["']([^"']+)["']""", re.M)


@pytest.mark.parametrize("name", MODULES)
def test_collected_modules_import_the_collected_helper(name, settings, tmp_path: Path):
    settings.STATIC_ROOT = str(tmp_path)
    call_command("collectstatic", interactive=False, verbosity=0)
    url = static(name)
    served = tmp_path / url.removeprefix(settings.STATIC_URL)
    imports = IMPORT.findall(served.read_text())
    assert imports, f"{name} no longer imports the reconnect helper"
    for spec in imports:
        assert spec.startswith(("./", "../")), spec  # no bare names: there is no build step
        target = urljoin(url, spec)
        assert target == static("js/reconnect.js"), (name, spec)
        assert (tmp_path / target.removeprefix(settings.STATIC_URL)).is_file()
    assert staticfiles_storage.location == str(tmp_path)


def test_the_helper_is_served_as_javascript(client):
    # Browsers refuse a module script without a JavaScript MIME type.
    response = client.get(static("js/reconnect.js"))
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "text/javascript"
    assert b"export function connect" in b"".join(response.streaming_content)

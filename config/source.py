"""The AGPL's "source for network users" (section 13): where the running code can be had.

SOURCE_CODE_URL (a setting) points the footer's link at the deployer's published repository.
Left empty, the link is /source.tar.gz, an archive of the code this very process runs (the
apps, config, templates, static files and the licence), built once per process, so a
deployer who changed the code offers their changed version without doing anything.
Only code: no var/ directory, no database, no environment, no compiled files.
"""

from __future__ import annotations

import functools
import io
import tarfile
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

# What setup.py puts in the wheel, and the files beside it in a checkout.
PACKAGES = ("accounts", "chat", "config", "core", "groups", "meetups", "moderation",
            "notifications", "realtime")
CHECKOUT_EXTRAS = ("templates", "static", "deploy", "LICENSE", "README.md",
                   "CHANGELOG.md", "pyproject.toml", "setup.py", "manage.py", "dev")
SKIP_DIRS = {"__pycache__", "var", ".venv", "staticfiles", "node_modules"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".sqlite3", ".log"}


def source_code_url() -> str:
    return getattr(settings, "SOURCE_CODE_URL", "") or reverse("source_code")


def _wanted(path: Path) -> bool:
    return not (SKIP_DIRS.intersection(path.parts) or path.suffix in SKIP_SUFFIXES)


def _licence_text() -> bytes | None:
    base = Path(settings.BASE_DIR)
    if (base / "LICENSE").is_file():
        return (base / "LICENSE").read_bytes()
    try:
        files = metadata.distribution("village").files or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name == "LICENSE":
            return Path(f.locate()).read_bytes()
    return None


@functools.cache
def source_archive() -> bytes:
    base = Path(settings.BASE_DIR)
    roots = [base / name for name in PACKAGES]
    if settings.IN_CHECKOUT:
        roots += [base / name for name in CHECKOUT_EXTRAS if name != "LICENSE"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for root in roots:
            if not root.exists():
                continue
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for path in files:
                rel = path.relative_to(base)
                if _wanted(rel):
                    tar.add(path, arcname=f"village/{rel}", recursive=False)
        licence = _licence_text()
        if licence is not None:
            info = tarfile.TarInfo("village/LICENSE")
            info.size = len(licence)
            tar.addfile(info, io.BytesIO(licence))
    return buffer.getvalue()


def source_code(request):
    response = HttpResponse(source_archive(), content_type="application/gzip")
    response["Content-Disposition"] = 'attachment; filename="village-source.tar.gz"'
    return response

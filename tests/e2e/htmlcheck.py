"""The W3C HTML checker (vnu) over every page the browser tests load.

Each browser context records the raw HTML of its document responses into
``test-results/html/`` (one file per URL and distinct content, so a member's and a
facilitator's view of the same page are both kept); ``test_zz_html_valid.py`` then runs vnu
once over all of them and fails on any error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = ROOT / "test-results" / "html"
VNU_VERSION = "26.9.27"  # the same pin as ./dev
VNU_JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Parts of a page that change on every load and say nothing about its markup.
_VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*|nonce="[^"]*"|\d+')


def reset() -> None:
    shutil.rmtree(HTML_DIR, ignore_errors=True)
    HTML_DIR.mkdir(parents=True, exist_ok=True)


def _file_name(url: str, body: bytes) -> str:
    parts = urlsplit(url)
    where = (parts.path + ("?" + parts.query if parts.query else "")).strip("/") or "home"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", where).strip("-")[:80] or "home"
    digest = hashlib.sha1(_VOLATILE.sub(b"", body)).hexdigest()[:10]
    return f"{slug}--{digest}.html"


def record_html(context) -> None:
    """Save the HTML of every document the context loads (main frame, text/html)."""

    def on_response(response) -> None:
        request = response.request
        if request.resource_type != "document" or request.frame.parent_frame is not None:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        if 300 <= response.status < 400:
            return
        try:
            body = response.body()
        except Exception:  # the page moved on before the body could be read
            return
        HTML_DIR.mkdir(parents=True, exist_ok=True)
        path = HTML_DIR / _file_name(response.url, body)
        if not path.exists():
            path.write_bytes(body)
            path.with_suffix(".url").write_text(response.url)

    context.on("response", on_response)


def ensure_vnu() -> Path | None:
    """The checker's jar, installed with npm (pinned) if it is not there yet."""
    if VNU_JAR.exists():
        return VNU_JAR
    npm = shutil.which("npm")
    if not npm:
        return None
    subprocess.run(
        [npm, "install", "--no-save", "--prefix", str(VNU_JAR.parents[4]),
         f"vnu-jar@{VNU_VERSION}"],
        cwd=ROOT, check=False, capture_output=True, timeout=600,
    )  # fmt: skip
    return VNU_JAR if VNU_JAR.exists() else None


def vnu_errors(jar: Path, files: list[Path]) -> list[str]:
    """Run vnu once over all files; one line per error: page URL, line and message."""
    java = shutil.which("java") or "java"
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "LC_ALL": "C.UTF-8"},
    )  # fmt: skip
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"vnu gave no JSON report (exit {result.returncode}):\n{result.stderr[-2000:]}"
        ) from exc
    lines = []
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        path = Path(urlsplit(message.get("url", "")).path)
        url_file = path.with_suffix(".url")
        where = url_file.read_text() if url_file.exists() else path.name
        lines.append(
            f"{where} ({path.name}:{message.get('lastLine', '?')}): {message.get('message')}"
            + (f"\n    {message['extract'].strip()}" if message.get("extract") else "")
        )
    return lines

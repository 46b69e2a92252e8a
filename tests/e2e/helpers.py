"""Helpers for browser tests: screenshots, accessibility checks, logging in.

Screenshots go to ``test-results/screenshots/`` (git-ignored), so an ordinary test run never
changes tracked files. ``docs/screenshots/`` (the phone-sized pictures the README links to)
changes only when you ask for it::

    ./dev screenshots

which runs the browser tests with ``VILLAGE_SCREENSHOTS_TO_DOCS=1``: every ``screenshot()``
made for the docs is then copied there as well. Look at them before you commit them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
TO_DOCS = "VILLAGE_SCREENSHOTS_TO_DOCS"


def screenshot(page, name: str, *, full_page: bool = True, for_docs: bool = True) -> Path:
    """Save `name`.png in test-results/screenshots (look at them!). With
    VILLAGE_SCREENSHOTS_TO_DOCS=1 (`./dev screenshots`), a shot `for_docs` is also copied to
    docs/screenshots; checks-only shots pass `for_docs=False` and never go there."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if for_docs and os.environ.get(TO_DOCS) == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def assert_accessible(page, name: str) -> None:
    """axe-core: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    summary = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(str(n.get("target")) for n in v["nodes"][:5])
        for v in bad
    )
    assert not bad, f"accessibility problems on {name}:\n{summary}"


def log_in(page, server, email_address: str, password: str = "village-demo"):
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=login]", email_address)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()

"""Helpers for browser tests: screenshots, accessibility checks, logging in."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a phone-sized screenshot for docs/screenshots (look at them!)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
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

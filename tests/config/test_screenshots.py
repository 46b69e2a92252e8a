"""Browser-test screenshots land in the git-ignored test-results/ folder; docs/screenshots/
changes only through `./dev screenshots` (issue 12)."""

import subprocess
from pathlib import Path

import pytest

from tests.e2e import helpers

ROOT = Path(__file__).resolve().parents[2]


class FakePage:
    """Stands in for Playwright's page: writes a tiny file where it is told to."""

    def __init__(self):
        self.calls = []

    def screenshot(self, *, path: str, full_page: bool) -> None:
        self.calls.append(full_page)
        Path(path).write_bytes(b"\x89PNG fake")


@pytest.fixture
def folders(tmp_path, monkeypatch):
    results, docs = tmp_path / "test-results" / "screenshots", tmp_path / "docs" / "screenshots"
    monkeypatch.setattr(helpers, "SCREENSHOTS", results)
    monkeypatch.setattr(helpers, "DOCS_SCREENSHOTS", docs)
    monkeypatch.delenv(helpers.TO_DOCS, raising=False)
    return results, docs


def test_the_real_folders():
    assert helpers.SCREENSHOTS == ROOT / "test-results" / "screenshots"
    assert helpers.DOCS_SCREENSHOTS == ROOT / "docs" / "screenshots"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "test-results/screenshots/x.png"], cwd=ROOT, timeout=20
    )
    assert ignored.returncode == 0, "test-results/ must stay git-ignored"


def test_an_ordinary_run_leaves_docs_alone(folders):
    results, docs = folders
    page = FakePage()
    path = helpers.screenshot(page, "signup")
    assert path == results / "signup.png" and path.exists()
    assert not docs.exists()
    assert page.calls == [True]


def test_asking_for_docs_copies_them_there(folders, monkeypatch):
    results, docs = folders
    monkeypatch.setenv(helpers.TO_DOCS, "1")
    helpers.screenshot(FakePage(), "signup")
    helpers.screenshot(FakePage(), "chat-times-live", full_page=False, for_docs=False)
    assert (docs / "signup.png").read_bytes() == (results / "signup.png").read_bytes()
    assert not (docs / "chat-times-live.png").exists()
    assert (results / "chat-times-live.png").exists()


def test_no_browser_test_writes_pngs_itself():
    """Every screenshot goes through helpers.screenshot, which decides the folder."""
    for path in (ROOT / "tests" / "e2e").glob("*.py"):
        if path.name == "helpers.py":
            continue
        text = path.read_text()
        assert ".screenshot(" not in text, path.name
        assert "docs/screenshots" not in text and '"screenshots"' not in text, path.name


def test_dev_screenshots_asks_for_docs():
    dev = (ROOT / "dev").read_text()
    assert "screenshots) shift; cmd_screenshots" in dev
    body = dev.split("cmd_screenshots() {", 1)[1].split("\n}", 1)[0]
    assert "VILLAGE_SCREENSHOTS_TO_DOCS=1" in body and "tests/e2e" in body
    assert "VILLAGE_SCREENSHOTS_TO_DOCS" not in dev.split("cmd_test() {", 1)[1].split("\n}")[0]

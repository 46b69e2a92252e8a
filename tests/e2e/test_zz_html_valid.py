"""Runs last among the browser tests (pytest takes files in name order): every page they
loaded must pass the W3C HTML checker with no errors, and every aria-describedby must point at
an element in the page (a check vnu does not make)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.e2e.htmlcheck import HTML_DIR, ensure_vnu, vnu_errors
from tests.htmlrefs import dangling_describedby

pytestmark = pytest.mark.e2e


def test_every_page_the_browser_tests_loaded_is_valid_html():
    files = sorted(HTML_DIR.glob("*.html")) if HTML_DIR.exists() else []
    in_ci = bool(os.environ.get("CI"))
    if not files:
        if in_ci:
            pytest.fail(f"no pages were recorded in {HTML_DIR}: did the browser tests run?")
        pytest.skip("no pages recorded: run it together with the other browser tests")
    jar = ensure_vnu()
    if jar is None or not shutil.which("java"):
        reason = (
            "the W3C HTML checker is not available: it needs npm (to install vnu-jar) and java"
        )
        if in_ci:
            pytest.fail(reason)
        pytest.skip(reason)
    errors = vnu_errors(jar, files)
    for path in files:
        url = path.with_suffix(".url").read_text()
        errors += [f"{url} ({path.name}): aria-describedby {d}" for d in dangling_describedby(
            path.read_text()
        )]  # fmt: skip
    assert not errors, f"{len(errors)} HTML error(s) in {len(files)} page(s):\n" + "\n".join(
        errors
    )

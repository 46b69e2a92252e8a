"""`./dev up` points links in emails at the port it listens on (issue 17)."""

import os
import subprocess
from pathlib import Path

import pytest

DEV = Path(__file__).resolve().parents[2] / "dev"


def _site_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")}
    result = subprocess.run(
        ["bash", "-c", 'source "$1" && dev_env && printf %s "$SITE_URL"', "bash", str(DEV)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(("env", "url"), [
    ({}, "http://127.0.0.1:8000"),
    ({"PORT": "8123"}, "http://127.0.0.1:8123"),
    ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://localhost:9000"),
    ({"HOST": "::1", "PORT": "9000"}, "http://[::1]:9000"),
    ({"PORT": "8123", "SITE_URL": "https://village.example.org"}, "https://village.example.org"),
])  # fmt: skip
def test_dev_up_sets_site_url_from_host_and_port(env, url):
    assert _site_url(**env) == url


def test_dev_script_parses():
    subprocess.run(["bash", "-n", str(DEV)], check=True, timeout=20)

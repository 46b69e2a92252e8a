"""VAPID keys: from the environment, or made once under var/ on first run; a management
command prints a fresh pair; the pair really signs (the public key belongs to the private)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from config import vapid

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.VAPID_PRIVATE_KEY, s.VAPID_PUBLIC_KEY, s.VAPID_CONTACT)"
)


def _settings_in_subprocess(**env) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_", "VAPID_")) and k != "VILLAGE_VAR_DIR"
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_with_no_keys_set_a_pair_is_made_once_under_var(tmp_path):
    first = _settings_in_subprocess(VILLAGE_VAR_DIR=str(tmp_path))
    again = _settings_in_subprocess(VILLAGE_VAR_DIR=str(tmp_path))
    assert first == again  # kept, not remade on every start
    kept = json.loads((tmp_path / "vapid.json").read_text())
    assert [kept["private"], kept["public"]] == first[:2]
    assert (tmp_path / "vapid.json").stat().st_mode & 0o077 == 0  # only its owner reads it
    assert vapid.public_of(first[0]) == first[1]
    assert first[2] == "mailto:hello@village.invalid"


def test_keys_from_the_environment_win_and_the_public_key_can_be_left_out(tmp_path):
    private, public = vapid.generate()
    got = _settings_in_subprocess(
        VILLAGE_VAR_DIR=str(tmp_path),
        VAPID_PRIVATE_KEY=private,
        VAPID_CONTACT="mailto:team@village.example",
    )
    assert got == [private, public, "mailto:team@village.example"]
    assert not (tmp_path / "vapid.json").exists()


def test_the_command_prints_a_working_pair():
    out, err = StringIO(), StringIO()
    call_command("vapid_keys", stdout=out, stderr=err)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert vapid.public_of(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]
    assert len(vapid.b64url_decode(lines["VAPID_PUBLIC_KEY"])) == 65
    assert "Keep the private key secret" in err.getvalue()

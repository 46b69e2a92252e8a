"""Browser tests against the real thing: daphne serving Village from its own database, driven
by Playwright with Debian's chromium at a phone viewport.

The server runs in a subprocess (DEBUG off, mandatory email verification, emails written to
files the tests read). On CI it uses a fresh PostgreSQL database and the real Redis.
"""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.htmlcheck import record_html, reset

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class VillageServer:
    url: str
    env: dict[str, str]
    mail_dir: Path

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run a management command against the server's database; returns its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in the server's Django environment (for arranging state via services)."""
        return self.manage("shell", "-c", code)

    def emails(self) -> list[email.message.Message]:
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            raw = path.read_text()
            for chunk in raw.split("-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk.strip()))
        return messages

    def emails_to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.emails() if address in (m.get("To") or "")]


@pytest.fixture(scope="session")
def village_server(tmp_path_factory) -> Iterator[VillageServer]:
    tmp = tmp_path_factory.mktemp("e2e")
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    base_db = os.environ.get("DATABASE_URL", "")
    dbname = None
    if base_db.startswith(("postgres://", "postgresql://")):
        import psycopg

        dbname = f"village_e2e_{uuid.uuid4().hex[:8]}"
        admin_url = base_db.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = base_db.rsplit("/", 1)[0] + f"/{dbname}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'e2e.sqlite3'}"
    port = _free_port()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "e2e-" + uuid.uuid4().hex * 2,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
            "VILLAGE_REQUIRE_MFA_FOR_STAFF": "0",
            "HUEY_IMMEDIATE": "1",
            "VILLAGE_VAR_DIR": str(tmp / "var"),
            # Production's static files: fingerprinted and compressed by collectstatic.
            "STATIC_ROOT": str(tmp / "static"),
            "VILLAGE_REDIS_PREFIX": f"village-e2e-{uuid.uuid4().hex[:8]}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    server = VillageServer(url=f"http://127.0.0.1:{port}", env=env, mail_dir=mail_dir)
    server.manage("migrate", "--noinput")
    server.manage("collectstatic", "--noinput")
    log = open(tmp / "daphne.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("daphne did not start:\n" + (tmp / "daphne.log").read_text())
    if proc.poll() is not None:
        raise AssertionError("daphne exited:\n" + (tmp / "daphne.log").read_text())
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if dbname:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_data(village_server: VillageServer) -> VillageServer:
    """The README's demo data, loaded once into the e2e server's database."""
    village_server.manage("seed_demo", extra_env={"DEBUG": "1"})
    return village_server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        raise AssertionError(
            "Debian's chromium is required for browser tests (apt install chromium)"
        )
    reset()  # the HTML check looks only at the pages this session loads
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser) -> Iterator[Callable]:
    """Make a fresh phone-sized browser context (separate cookies) and return its page."""
    contexts = []

    def make(**kwargs):
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale="en-GB",
            timezone_id="Europe/London",
            **kwargs,
        )
        context.set_default_timeout(10_000)
        record_html(context)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()

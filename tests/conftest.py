"""Shared fixtures. Plain rows come from factories; state with side effects from services."""

import pytest

from tests.factories import GroupFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_process_copies():
    """Each process keeps the watch lists (moderation.screening) and the chat rooms
    (chat.protocol); a test's rolled-back rows must not linger there for the next test."""
    from chat import protocol
    from config import cache, outage
    from moderation import screening

    screening.forget()
    protocol.forget_room()
    outage.reset()
    yield
    screening.forget()
    protocol.forget_room()
    outage.reset()
    cache.forget_all()
    _clear_process_caches()


def _clear_process_caches() -> None:
    """Rate-limit counters and other cache rows are keyed by ids, and SQLite hands the same ids
    to the next test's rows: an in-process cache is emptied after each test (a shared Redis is
    left alone; PostgreSQL never reuses ids within a run)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    for alias in caches:
        backend = caches[alias]
        if isinstance(backend, LocMemCache):
            backend.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def group(db):
    return GroupFactory()


@pytest.fixture
def member(group):
    return MembershipFactory(group=group).user


@pytest.fixture
def facilitator(group):
    return MembershipFactory(group=group, role="facilitator").user


@pytest.fixture
def moderator(db):
    return UserFactory(is_moderator=True)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


# --- privacy in logs: no message bodies, no email addresses ------------------------------------
#
# Every log record of the whole suite passes through `_PrivacyGuard`. A record that carries an
# email address, or the sentinel text that tests put in message bodies, report notes and the
# like (`SENTINEL`), fails the test during which it was logged. tests/config/test_log_privacy.py
# drives the paths that handle private text through it on purpose.

import logging  # noqa: E402
import re  # noqa: E402

#: Put this in any private text a test sends: it must never reach a log line.
SENTINEL = "sentinel-9f4e private words"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class _PrivacyGuard(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        if SENTINEL in text or _EMAIL.search(text):
            self.leaks.append(f"{record.levelname} {record.name}: {text[:300]}")


_guard = _PrivacyGuard()


def pytest_configure(config):
    logging.getLogger().addHandler(_guard)


@pytest.fixture(autouse=True)
def _no_private_text_in_logs():
    root = logging.getLogger()
    if _guard not in root.handlers:  # a test that re-applied LOGGING took it off
        root.addHandler(_guard)
    _guard.leaks.clear()
    yield
    leaks, _guard.leaks[:] = list(_guard.leaks), []
    if leaks:
        pytest.fail("private text reached the logs:\n" + "\n".join(leaks[:5]), pytrace=False)

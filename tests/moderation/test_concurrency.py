"""Two moderators acting on one item at the same moment: exactly one decision applies, the
second sees "already handled". Needs PostgreSQL's row locks (SQLite has no SELECT FOR UPDATE)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from chat.models import Message
from moderation import services
from moderation.models import AuditEntry, ModAction
from moderation.services import AlreadyHandled

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cur.fetchone()[0] > 0


def test_second_moderator_sees_already_handled(moderator, moderator2, member, message):
    case = services.report_message(user=member, message_id=message.pk, reason="unkind").case
    first_in = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.case_act(
                    actor=moderator, case_id=case.pk, kind="hide", reason="Unkind"
                )
                first_in.set()
                release.wait(10)
        except Exception as exc:  # pragma: no cover - reported below
            results["first"] = exc
        finally:
            connections.close_all()

    def second():
        try:
            results["second"] = services.case_act(
                actor=moderator2, case_id=case.pk, kind="dismiss", reason="Looks fine"
            )
        except Exception as exc:
            results["second"] = exc
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=second)
    b.start()
    # Wait (bounded) until the second moderator's transaction is blocked on the row lock.
    deadline = time.monotonic() + 10
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        b.join(0.05)
    release.set()
    a.join(10)
    b.join(10)
    assert isinstance(results["first"], ModAction)
    assert isinstance(results["second"], AlreadyHandled)
    assert ModAction.objects.count() == 1
    assert AuditEntry.objects.filter(event="action").count() == 1
    assert Message.objects.get(pk=message.pk).state == Message.State.HIDDEN


def test_concurrent_reports_autohide_once(settings, group, author, message):
    from tests.factories import MembershipFactory

    settings.VILLAGE = {**settings.VILLAGE, "MODERATION_AUTOHIDE_REPORTS": 3}
    reporters = [MembershipFactory(group=group).user for _ in range(6)]
    barrier = threading.Barrier(len(reporters))
    errors = []

    def report(user):
        try:
            barrier.wait(10)
            services.report_message(user=user, message_id=message.pk, reason="spam")
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(u,)) for u in reporters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert AuditEntry.objects.filter(event="auto_hide").count() == 1
    assert Message.objects.get(pk=message.pk).state == Message.State.HIDDEN

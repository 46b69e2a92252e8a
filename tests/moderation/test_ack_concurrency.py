"""Two moderators tap "I've got this" at the same moment: one acknowledgement is recorded,
the other is told who has it (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from moderation import services
from moderation.models import AuditEntry, Case
from moderation.services import AlreadyAcknowledged
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def test_two_moderators_at_once_record_one_acknowledgement(member, group):
    case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
    mods = [UserFactory(is_moderator=True) for _ in range(4)]
    barrier = threading.Barrier(len(mods))
    results: dict[int, object] = {}

    def tap(mod):
        try:
            barrier.wait(10)
            results[mod.pk] = services.alert_acknowledge(actor=mod, case_id=case.pk)
        except Exception as exc:
            results[mod.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap, args=(m,)) for m in mods]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    won = [pk for pk, r in results.items() if isinstance(r, Case)]
    lost = [r for r in results.values() if isinstance(r, AlreadyAcknowledged)]
    assert len(won) == 1 and len(lost) == len(mods) - 1, results
    assert Case.objects.get(pk=case.pk).acknowledged_by_id == won[0]
    assert AuditEntry.objects.filter(event="alert_ack").count() == 1
    assert all("already picked this up" in e.message for e in lost)

"""The illegal-harms risk assessment: a living document for staff, every change a new
version with its history, and a reminder to staff before a review falls due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from moderation import risks
from moderation.models import RiskRevision
from moderation.tasks import remind_risk_reviews
from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def _fields(owner, **extra):
    return {
        "title": "Grooming through private contact",
        "description": "Someone builds trust with a parent to reach a child.",
        "likelihood": 2, "impact": 3,
        "measures": "Members can't message each other privately; check-ins are seen by mods.",
        "owner": owner, "review_by": date(2026, 9, 1), **extra,
    }  # fmt: skip


def _staff(**kw):
    return UserFactory(is_staff=True, display_name=kw.pop("display_name", "Chris"), **kw)


def test_each_change_is_a_new_version_and_the_old_ones_stay():
    owner = _staff()
    with time_machine.travel(NOW, tick=False):
        one = risks.risk_save(actor=owner, **_fields(owner))
        two = risks.risk_save(actor=owner, risk=one.risk, change_note="Now likelier.",
                              **_fields(owner, likelihood=3))  # fmt: skip
    assert (one.version, two.version) == (1, 2)
    assert [r.version for r in risks.risk_history(one.risk_id)] == [2, 1]
    assert RiskRevision.objects.get(pk=one.pk).likelihood == 2  # untouched
    assert [r.pk for r in risks.risk_register()] == [two.pk]
    assert two.change_note == "Now likelier." and one.change_note == "Added"


@pytest.mark.parametrize(
    "bad, code",
    [
        ({"title": "  "}, "no_title"),
        ({"measures": ""}, "no_measures"),
        ({"likelihood": 7}, "level"),
        ({"owner": None}, "owner"),
        ({"review_by": date(2026, 4, 1)}, "review_by"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(bad, code):
    owner = _staff()
    with time_machine.travel(NOW, tick=False), pytest.raises(risks.RiskError) as exc:
        risks.risk_save(actor=owner, **{**_fields(owner), **bad})
    assert exc.value.code == code
    assert not RiskRevision.objects.exists()


def test_a_member_who_is_not_staff_cannot_own_a_risk():
    owner = _staff()
    with time_machine.travel(NOW, tick=False), pytest.raises(risks.RiskError):
        risks.risk_save(actor=owner, **_fields(UserFactory()))


def test_staff_are_reminded_once_before_the_review(settings):
    settings.VILLAGE = {**settings.VILLAGE, "RISK_REVIEW_REMINDER_DAYS": 14}
    owner, other = _staff(), _staff(display_name="Sam")
    member = UserFactory()
    with time_machine.travel(NOW, tick=False):
        due = risks.risk_save(actor=owner, **_fields(owner, review_by=date(2026, 5, 10)))
        risks.risk_save(actor=owner, **_fields(owner, title="Later", review_by=date(2026, 8, 1)))
        assert remind_risk_reviews.call_local() == 1
        assert remind_risk_reviews.call_local() == 0  # once per version
    notes = Notification.objects.filter(title__contains="due for review")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([owner.pk, other.pk])
    assert not notes.filter(user=member).exists()
    assert notes.first().url == f"/moderation/risks/{due.risk_id}/"
    # A new version with a new review date is reminded about again in its turn.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        risks.risk_save(actor=owner, risk=due.risk, **_fields(owner, review_by=date(2026, 5, 12)))
        assert remind_risk_reviews.call_local() == 1


def test_the_pages_are_staff_only_and_keep_what_was_typed(client):
    owner = _staff()
    moderator = UserFactory(is_moderator=True)
    client.force_login(moderator)
    assert client.get("/moderation/risks/").status_code in (403, 404)
    client.force_login(owner)
    assert client.get("/moderation/risks/").status_code == 200
    with time_machine.travel(NOW, tick=True):
        r = client.post("/moderation/risks/new/", {
            "title": "Scams", "likelihood": "2", "impact": "2", "measures": "",
            "owner": owner.pk, "review_by": "2026-09-01",
        })  # fmt: skip
        assert r.status_code == 400 and 'value="Scams"' in r.content.decode()
        r = client.post("/moderation/risks/new/", {
            "title": "Scams", "likelihood": "2", "impact": "2", "measures": "Watch list.",
            "owner": owner.pk, "review_by": "2026-09-01",
        })  # fmt: skip
        assert r.status_code == 302
        rev = RiskRevision.objects.get()
        page = client.get(f"/moderation/risks/{rev.risk_id}/").content.decode()
    assert "Version 1" in page and "Watch list." in page
    assert client.get("/moderation/risks/999/").status_code == 404

"""The public transparency page: figures per quarter from a seeded history, small counts
suppressed, stored by the Huey job and only read by the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from moderation import transparency
from moderation.models import (
    Appeal,
    Case,
    Complaint,
    ModAction,
    Report,
    TransparencyQuarter,
)
from moderation.tasks import refresh_transparency
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

UK = ZoneInfo("Europe/London")
# Quarter 2 of 2026 (April to June), and the quarter before it.
Q2 = datetime(2026, 4, 10, 9, 0, tzinfo=UK)
Q1 = datetime(2026, 2, 3, 9, 0, tzinfo=UK)
NOW = datetime(2026, 6, 20, 12, 0, tzinfo=UK)


def _case(group, when, *, kind=Case.Kind.REPORTS, urgent=False, first_action=None, acted=None,
          acknowledged=None):
    case = Case.objects.create(
        kind=kind, group=group, urgent=urgent, opened_at=when,
        first_action_at=when + first_action if first_action else None,
        acknowledged_at=when + acknowledged if acknowledged else None,
    )  # fmt: skip
    if acted:
        ModAction.objects.create(
            case=case, kind=acted, reason="r", group=group, created_at=when + first_action
        )
    return case


def _report(case, reason, when):
    return Report.objects.create(
        case=case, group=case.group, reporter=UserFactory(), reason=reason, created_at=when
    )


@pytest.fixture
def history():
    group = GroupFactory()
    mod = UserFactory(is_moderator=True)
    # Q2: 6 spam reports (6 cases, 4 hidden, 2 dismissed), waits 10..60 minutes;
    # 2 "illegal" reports (suppressed: fewer than 5), on one case acted on after 5 minutes.
    for i in range(6):
        kind = ModAction.Kind.HIDE if i < 4 else ModAction.Kind.DISMISS
        c = _case(group, Q2 + timedelta(days=i), first_action=timedelta(minutes=10 * (i + 1)),
                  acted=kind)  # fmt: skip
        _report(c, "spam", c.opened_at)
    c = _case(group, Q2 + timedelta(days=9), first_action=timedelta(minutes=5),
              acted=ModAction.Kind.DELETE)  # fmt: skip
    _report(c, "illegal", c.opened_at)
    _report(c, "illegal", c.opened_at + timedelta(minutes=1))
    # 5 urgent crisis items in Q2: "I've got this" after 1, 2, 3, 4 and 5 minutes (the rota's
    # acknowledgement), acted on after 2, 4, 6, 8 and 10 minutes.
    for i in range(5):
        wait = timedelta(minutes=2 * (i + 1))
        _case(group, Q2 + timedelta(hours=i), kind=Case.Kind.CRISIS, urgent=True,
              first_action=wait, acted=ModAction.Kind.ACKNOWLEDGE,
              acknowledged=wait / 2)  # fmt: skip
    # Appeals: 5 in Q2 (3 kept, 2 reversed); complaints: 1 in Q2 (suppressed).
    member = UserFactory()
    for i in range(5):
        action = ModAction.objects.create(kind="warn", reason="r", group=group, target=member)
        Appeal.objects.create(
            action=action, appellant=member, text="please",
            status=Appeal.Status.UPHELD if i < 3 else Appeal.Status.REVERSED,
            created_at=Q2 + timedelta(days=i),
        )  # fmt: skip
    Complaint.objects.create(complainant=member, about="service", text="slow", created_at=Q2)
    # Q1: one report only.
    c = _case(group, Q1)
    _report(c, "unkind", Q1)
    return {"group": group, "mod": mod}


def test_quarter_bounds_follow_uk_time():
    start, end = transparency.quarter_bounds(2026, 2)
    assert start == datetime(2026, 4, 1, tzinfo=UK) and end == datetime(2026, 7, 1, tzinfo=UK)
    # 00:30 on 1 April UK time is 23:30 on 31 March UTC: already quarter 2.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert transparency.quarter_of(late) == (2026, 2)
    assert transparency.quarter_bounds(2026, 4)[1] == datetime(2027, 1, 1, tzinfo=UK)


def test_figures_for_a_seeded_quarter(history):
    f = transparency.quarter_figures(2026, 2, k=5)
    assert f["reports_total"] == 8
    assert f["reports_by_reason"]["spam"] == 6
    assert f["reports_by_reason"]["illegal"] is None  # 2 < 5: "fewer than 5"
    assert f["reports_by_reason"]["unkind"] == 0  # nothing is not a small number
    # 7 reported items: waits 10,20,30,40,50,60 and 5 minutes: median 30 minutes.
    assert f["median_first_action_seconds"] == 30 * 60
    # 5 of the 7 reported items were acted on (4 hidden, 1 deleted; 2 dismissed).
    assert f["reported_items"] == 7 and f["acted_on_percent"] == round(100 * 5 / 7)
    assert f["urgent_total"] == 5
    assert f["urgent_median_ack_seconds"] == 3 * 60  # time to "I've got this", not to acting
    assert f["urgent_ack_measure"] == "acknowledged"
    assert f["appeals_total"] == 5
    assert f["appeals_by_outcome"] == {"pending": 0, "upheld": None, "reversed": None}
    assert f["complaints_total"] is None
    # Q1 had one report: every figure suppressed or withheld.
    q1 = transparency.quarter_figures(2026, 1, k=5)
    assert q1["reports_total"] is None and q1["median_first_action_seconds"] is None
    assert q1["acted_on_percent"] is None


def test_a_lower_threshold_shows_more(history):
    f = transparency.quarter_figures(2026, 2, k=2)
    assert f["reports_by_reason"]["illegal"] == 2
    assert f["appeals_by_outcome"] == {"pending": 0, "upheld": 3, "reversed": 2}
    assert f["complaints_total"] is None  # 1 < 2


def test_the_job_stores_quarters_and_the_page_only_reads(history, client, settings,
                                                         django_assert_num_queries):  # fmt: skip
    settings.VILLAGE = {**settings.VILLAGE, "TRANSPARENCY_MIN_COUNT": 5}
    with time_machine.travel(NOW, tick=False):
        assert refresh_transparency.call_local() == 2
        assert refresh_transparency.call_local() == 2  # run again: replaced, not doubled
    assert list(TransparencyQuarter.objects.values_list("year", "quarter")) == [
        (2026, 2), (2026, 1),
    ]  # fmt: skip
    # New history after the job ran is not on the page until the job runs again.
    _report(Case.objects.first(), "spam", Q2)
    with django_assert_num_queries(1):
        html = client.get("/moderation/transparency/").content.decode()
    assert 'data-quarter="2026-2"' in html and 'data-quarter="2026-1"' in html
    assert '<span data-figure="reports_total">8</span>' in html
    assert "fewer than 5" in html
    assert '<dd data-figure="median_first_action">30 minutes</dd>' in html
    assert '<dd data-figure="acted_on">71%</dd>' in html
    assert "first did something about the alert" not in html  # acknowledgements are recorded
    assert history["group"].name not in html
    assert '<rect width="100"' in html  # the biggest bar of a chart is full width


def test_the_page_is_public_and_kind_when_empty(client):
    r = client.get("/moderation/transparency/")
    assert r.status_code == 200
    assert "The first figures appear here" in r.content.decode()

"""Every moderation form is rate limited over HTTP, by the one mechanism (config.ratelimit)."""

from __future__ import annotations

import pytest
from django.core import mail

from moderation import closed, services
from moderation.models import Appeal, Complaint, ModAction, Reason, Report
from tests.factories import UserFactory
from tests.ratelimits import LIMIT, Row, assert_limited, tight_limits  # noqa: F401

from .conftest import post

pytestmark = pytest.mark.django_db
N = LIMIT + 1


def _messages(author, group):
    return [post(author, group, f"message {i}") for i in range(N)]


def _cases(author, group, reporter):
    return [
        services.report_message(user=reporter, message_id=m.pk, reason="spam").case
        for m in _messages(author, group)
    ]


def _hides(author, group, reporter, moderator):
    return [
        services.case_act(actor=moderator, case_id=c.pk, kind="hide", reason="Selling")
        for c in _cases(author, group, reporter)
    ]


def report(f):
    text = "This is unkind to my friend"
    return Row(
        user=f.member,
        posts=[
            (f"/moderation/report/{m.pk}/", {"reason": "other", "note": text})
            for m in _messages(f.author, f.group)
        ],
        stored=lambda: Report.objects.filter(reporter=f.member).count(),
        typed=text,
    )


def concern(f):
    text = "She seems very low today"
    return Row(
        user=f.member,
        posts=[(f"/moderation/concern/{f.group.slug}/", {"note": text})] * N,
        stored=lambda: Report.objects.filter(reporter=f.member, reason=Reason.SAFEGUARDING).count(),
        typed=text,
    )


def complaint(f):
    text = "Nobody answered my message"
    return Row(
        user=f.member,
        posts=[("/moderation/complaint/", {"about": "service", "text": text})] * N,
        stored=lambda: Complaint.objects.filter(complainant=f.member).count(),
        typed=text,
    )


def appeal(f):
    text = "I was giving it away free"
    return Row(
        user=f.author,
        posts=[
            (f"/moderation/decisions/{a.pk}/", {"text": text})
            for a in _hides(f.author, f.group, f.member, f.moderator)
        ],
        stored=lambda: Appeal.objects.filter(appellant=f.author).count(),
        typed=text,
    )


def moderation_action(f):
    text = "Looks fine to me"
    return Row(
        user=f.moderator,
        posts=[
            (f"/moderation/case/{c.pk}/act/", {"kind": "dismiss", "reason": text})
            for c in _cases(f.author, f.group, f.member)
        ],
        stored=lambda: ModAction.objects.filter(actor=f.moderator).count(),
        typed=text,
        get_status=405,
    )


def appeal_decision(f):
    text = "It was for sale after all"
    appeals = [
        services.appeal_submit(user=f.author, action_id=a.pk, text="Please look again")
        for a in _hides(f.author, f.group, f.member, f.moderator)
    ]
    return Row(
        user=f.moderator2,
        posts=[
            (f"/moderation/appeals/{a.pk}/", {"decision": "upheld", "reason": text})
            for a in appeals
        ],
        stored=lambda: Appeal.objects.filter(status=Appeal.Status.UPHELD).count(),
        typed=text,
    )


def complaint_answer(f):
    text = "We restored it for you"
    complaints = [
        services.complaint_submit(user=f.member, about="decision", text="My post was hidden")
        for _ in range(N)
    ]
    return Row(
        user=f.staff,
        posts=[
            (f"/moderation/complaints/{c.pk}/", {"status": "resolved", "outcome": text})
            for c in complaints
        ],
        stored=lambda: Complaint.objects.filter(status=Complaint.Status.RESOLVED).count(),
        typed=text,
    )


def closed_account(f):
    text = "Please look again at my account"
    (case,) = _cases(f.author, f.group, f.member)[:1]
    services.case_act(
        actor=f.moderator, case_id=case.pk, kind="ban", reason="Selling", site_wide=True
    )
    link = f"/moderation/closed/{closed.token_for(f.author.pk)}/"
    data = {"form": "complaint", "complaint-about": "decision", "complaint-text": text}
    return Row(
        user=None,
        posts=[(link, data)] * N,
        stored=lambda: Complaint.objects.filter(complainant=f.author).count(),
        typed=text,
    )


def closed_resend(f):
    # Stores nothing and answers the same for every address; the limit is per network address.
    emails = [UserFactory().email for _ in range(N)]
    return Row(
        user=None,
        posts=[("/moderation/closed/resend/", {"email": e}) for e in emails],
        stored=None,
        get_status=405,
    )


ROWS = [
    report,
    concern,
    complaint,
    appeal,
    moderation_action,
    appeal_decision,
    complaint_answer,
    closed_account,
    closed_resend,
]


class Fixtures:
    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return self._request.getfixturevalue(name)


@pytest.mark.usefixtures("tight_limits")
@pytest.mark.parametrize("make_row", ROWS, ids=[r.__name__ for r in ROWS])
def test_posts_over_the_limit_get_a_kind_429_that_keeps_what_was_typed(make_row, request):
    row = make_row(Fixtures(request))
    mail.outbox.clear()
    assert_limited(row)

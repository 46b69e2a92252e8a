"""An urgent item nobody acts on is re-sent to everyone who can help: 15 minutes after it was
raised, then hourly, until someone acts (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from moderation import services
from moderation.models import Case
from moderation.tasks import escalate_urgent_alerts
from notifications.models import Kind, Notification
from tests.conftest import SENTINEL
from tests.factories import MembershipFactory

from .conftest import post

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


@pytest.fixture
def subject(group):
    """A facilitator someone is worried about: never reminded about themselves."""
    return MembershipFactory(group=group, role="facilitator").user


@pytest.fixture
def concern(member, subject, group, moderator, moderator2, staff, facilitator):
    return services.concern_raise(
        user=member, group_slug=group.slug, note=f"Worried {SENTINEL}", subject_id=subject.pk
    )


def reminders():
    return Notification.objects.filter(kind=Kind.SAFEGUARDING, title__startswith="Still waiting")


def escalate(case, after: timedelta) -> int:
    return services.urgent_cases_escalate(now=case.opened_at + after)


def test_reminders_at_15_minutes_then_hourly_until_someone_acts(
    concern, moderator, moderator2, staff, facilitator, member, subject
):
    assert services.urgent_case_unhandled(concern)
    assert escalate(concern, 14 * MIN) == 0
    assert not reminders().exists()

    assert escalate(concern, 15 * MIN) == 1
    # Every moderator, staff and the group's facilitators; not who raised it or who it's about.
    everyone = {moderator.pk, moderator2.pk, staff.pk, facilitator.pk}
    assert sorted(reminders().values_list("user_id", flat=True)) == sorted(everyone)
    first = reminders().first()
    assert first.title.startswith("Still waiting after 15 minutes")
    assert "reminder" in first.body and first.urgent
    assert first.url.endswith(f"#case-{concern.pk}")
    assert SENTINEL not in first.title + first.body  # never the member's words

    assert escalate(concern, 16 * MIN) == 0
    assert escalate(concern, 30 * MIN) == 0
    assert escalate(concern, 74 * MIN) == 0
    assert reminders().count() == len(everyone)

    assert escalate(concern, 75 * MIN) == 1
    assert reminders().count() == 2 * len(everyone)
    assert (
        reminders().filter(title__startswith="Still waiting after 1 hour 15 minutes").count() == 4
    )
    case = Case.objects.get(pk=concern.pk)
    assert case.escalations == 2 and case.escalated_at == concern.opened_at + 75 * MIN

    services.case_act(
        actor=moderator, case_id=concern.pk, kind="acknowledge", reason="I've called them"
    )
    assert not services.urgent_case_unhandled(concern)
    for minutes in (135, 195, 600):
        assert escalate(concern, minutes * MIN) == 0
    assert reminders().count() == 2 * len(everyone)


def test_a_restart_neither_resends_early_nor_replays_missed_reminders(concern):
    assert escalate(concern, 15 * MIN) == 1
    # Run twice at the same moment (or a second worker): still one reminder.
    assert escalate(concern, 15 * MIN) == 0
    # The job was stopped for hours: one reminder when it comes back, not a burst.
    assert escalate(concern, 5 * 60 * MIN) == 1
    assert escalate(concern, 5 * 60 * MIN + 2 * MIN) == 0
    assert escalate(concern, 5 * 60 * MIN + 14 * MIN) == 0
    assert escalate(concern, 5 * 60 * MIN + 15 * MIN) == 1  # back on the hourly times


def test_the_times_follow_the_settings(concern, settings):
    settings.VILLAGE_URGENT_ESCALATE_AFTER_MINUTES = 5
    settings.VILLAGE_URGENT_REPEAT_MINUTES = 10
    assert escalate(concern, 4 * MIN) == 0
    assert escalate(concern, 5 * MIN) == 1
    assert escalate(concern, 14 * MIN) == 0
    assert escalate(concern, 15 * MIN) == 1


def test_items_that_are_not_urgent_or_already_handled_get_no_reminders(
    moderator, member, message, group
):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    assert not case.urgent
    assert escalate(case, 20 * MIN) == 0
    crisis_author = MembershipFactory(group=group).user
    msg = post(crisis_author, group, "I can't go on anymore")
    crisis = Case.objects.get(message=msg, kind=Case.Kind.CRISIS)
    services.case_act(actor=moderator, case_id=crisis.pk, kind="acknowledge", reason="On it")
    assert escalate(crisis, 20 * MIN) == 0
    assert not reminders().exists()


def test_a_crisis_reminder_never_reaches_its_author_and_is_emailed(
    moderator, facilitator, group, django_capture_on_commit_callbacks
):
    author = MembershipFactory(group=group, role="facilitator").user
    msg = post(author, group, f"I can't go on anymore {SENTINEL}")
    crisis = Case.objects.get(message=msg, kind=Case.Kind.CRISIS)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate(crisis, 15 * MIN) == 1
    assert set(reminders().values_list("user_id", flat=True)) == {moderator.pk, facilitator.pk}
    sent = [m for m in mail.outbox if "Still waiting after 15 minutes" in m.subject]
    assert {a for m in sent for a in m.to} == {moderator.email, facilitator.email}
    assert not any(SENTINEL in m.body for m in sent)


def test_the_periodic_job_runs_the_reminders(concern, moderator):
    assert escalate_urgent_alerts.call_local() == 0  # just raised
    with time_machine.travel(concern.opened_at + 16 * MIN):
        assert escalate_urgent_alerts.call_local() == 1
        assert escalate_urgent_alerts.call_local() == 0
    assert reminders().filter(user=moderator).count() == 1

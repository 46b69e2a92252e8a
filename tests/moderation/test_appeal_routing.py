"""Appeals never get stuck (issue 17, defect 4): whoever made the decision can't decide the
appeal, so it goes to another moderator or to staff; the member is told who and by when; staff
are alerted once if it waits past that date."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format

from groups.permissions import Action, can_decide_appeal, holders_of_site_action
from moderation import services
from moderation.models import Appeal
from moderation.services import ModerationError
from moderation.tasks import alert_overdue_appeals
from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(moderator, member, message):
    """The one site moderator hides a reported message."""
    case = services.report_message(user=member, message_id=message.pk, reason="unkind").case
    return services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="Unkind")


def _appeal(author, action, capture) -> Appeal:
    with capture(execute=True):
        return services.appeal_submit(user=author, action_id=action.pk, text="I was quoting")


def _by(appeal: Appeal) -> str:
    return date_format(timezone.localtime(appeal.created_at + timedelta(days=7)), "j F Y")


def _appeal_notes(user):
    return Notification.objects.filter(user=user, url__startswith="/moderation/appeals/")


def test_one_moderator_the_appeal_goes_to_staff_and_the_member_is_told(
    hidden, moderator, staff, author, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    assert appeal.route == Appeal.Route.STAFF
    assert appeal.decide_by == appeal.created_at + timedelta(days=7)

    # Staff are told it needs them; the moderator who decided is not asked.
    (note,) = _appeal_notes(staff)
    assert note.title == "An appeal needs a member of staff to decide it"
    assert _by(appeal) in note.body
    assert not _appeal_notes(moderator).exists()

    # The member is told, in the app and by email, who will look at it and by when.
    told = Notification.objects.get(user=author, title="We've got your appeal")
    assert "member of the Village staff team" in told.body and _by(appeal) in told.body
    emails = [m for m in mail.outbox if m.to == [author.email]]
    assert any(
        "member of the Village staff team" in m.body and _by(appeal) in m.body for m in emails
    )
    assert any(m.to == [staff.email] and "staff" in m.subject for m in mail.outbox)

    # Staff can decide it; the original moderator still can't.
    assert can_decide_appeal(staff, decided_by_id=moderator.pk, appellant_id=author.pk)
    assert not can_decide_appeal(moderator, decided_by_id=moderator.pk, appellant_id=author.pk)
    with pytest.raises(ModerationError) as exc:
        services.appeal_decide(
            actor=moderator, appeal_id=appeal.pk, decision="reversed", reason="x"
        )
    assert exc.value.code == "same_moderator"
    services.appeal_decide(actor=staff, appeal_id=appeal.pk, decision="reversed", reason="A quote")
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.REVERSED


def test_the_member_sees_who_and_when_on_the_confirmation_page(
    client, hidden, staff, author, django_capture_on_commit_callbacks
):
    client.force_login(author)
    url = f"/moderation/decisions/{hidden.pk}/"
    page = client.post(url, {"text": "I was quoting my mum"}, follow=True).content.decode()
    appeal = Appeal.objects.get()
    assert "we&#x27;ve got your appeal" in page.lower()
    assert "Waiting for a member of staff" in page
    assert "A member of the Village staff team will read your appeal" in page
    assert _by(appeal) in page


def test_with_another_moderator_it_goes_to_them_and_staff(
    hidden, moderator, moderator2, staff, author, django_capture_on_commit_callbacks
):
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    assert appeal.route == Appeal.Route.MODERATOR
    assert "Another moderator, not the one who made the decision" in appeal.who_decides
    assert _by(appeal) in appeal.who_decides
    for user in (moderator2, staff):
        assert _appeal_notes(user).get().title == "An appeal is waiting for a different moderator"
    assert not _appeal_notes(moderator).exists()
    assert not _appeal_notes(author).exists()


def test_with_nobody_else_the_member_is_told_honestly(
    client, hidden, moderator, author, django_capture_on_commit_callbacks
):
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    assert appeal.route == Appeal.Route.NOBODY
    assert not _appeal_notes(moderator).exists()
    told = Notification.objects.get(user=author, title="We've got your appeal")
    assert "nobody else on the Village team can decide it" in told.body
    assert "reply by" not in told.body  # no promise we can't keep
    client.force_login(author)
    page = client.get(f"/moderation/decisions/{hidden.pk}/").content.decode()
    assert "Waiting for someone who can decide it" in page


def test_who_may_decide_comes_from_the_policy(moderator, moderator2, staff, author):
    UserFactory(is_moderator=True, is_active=False)
    assert set(holders_of_site_action(Action.DECIDE_APPEAL)) == {moderator, moderator2, staff}
    assert not can_decide_appeal(author, decided_by_id=moderator.pk, appellant_id=author.pk)
    assert not can_decide_appeal(moderator2, decided_by_id=moderator.pk, appellant_id=moderator2.pk)
    assert can_decide_appeal(moderator2, decided_by_id=moderator.pk, appellant_id=author.pk)


def test_an_overdue_appeal_alerts_staff_once(
    hidden, moderator, moderator2, staff, author, django_capture_on_commit_callbacks
):
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    start = appeal.created_at
    assert services.appeals_overdue_alert(now=start + timedelta(days=6, hours=23)) == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.appeals_overdue_alert(now=start + timedelta(days=7, minutes=1)) == 1
    overdue = Notification.objects.filter(user=staff, title__contains="without a decision")
    assert overdue.count() == 1 and "7 days" in overdue.get().title
    assert _by(appeal) in overdue.get().body
    assert any(m.to == [staff.email] and "without a decision" in m.subject for m in mail.outbox)
    assert (
        not Notification.objects.filter(title__contains="without a decision")
        .exclude(user=staff)
        .exists()
    )
    # Recorded, so later runs don't repeat it.
    assert Appeal.objects.get(pk=appeal.pk).overdue_alerted_at is not None
    for days in (8, 9, 30):
        assert services.appeals_overdue_alert(now=start + timedelta(days=days)) == 0
    assert overdue.count() == 1
    # The member is told it is late, and that staff have been asked.
    assert "taking longer than we said" in Appeal.objects.get(pk=appeal.pk).who_decides


def test_a_decided_appeal_is_never_overdue(
    hidden, moderator2, staff, author, django_capture_on_commit_callbacks
):
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    services.appeal_decide(actor=moderator2, appeal_id=appeal.pk, decision="upheld", reason="ok")
    assert services.appeals_overdue_alert(now=appeal.created_at + timedelta(days=8)) == 0


def test_an_overdue_appeal_with_no_staff_is_raised_once_there_are(
    hidden, moderator, author, django_capture_on_commit_callbacks
):
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    later = appeal.created_at + timedelta(days=8)
    assert services.appeals_overdue_alert(now=later) == 0
    assert Appeal.objects.get(pk=appeal.pk).overdue_alerted_at is None
    newcomer = UserFactory(is_staff=True)
    assert services.appeals_overdue_alert(now=later) == 1
    assert Notification.objects.filter(user=newcomer, title__contains="without a decision").exists()


def test_the_periodic_job_runs_the_alert(
    hidden, staff, author, settings, django_capture_on_commit_callbacks
):
    settings.VILLAGE_APPEAL_DECIDE_WITHIN_DAYS = 2
    appeal = _appeal(author, hidden, django_capture_on_commit_callbacks)
    assert appeal.decide_by == appeal.created_at + timedelta(days=2)
    assert alert_overdue_appeals.call_local() == 0
    with time_machine.travel(appeal.created_at + timedelta(days=2, minutes=5)):
        assert alert_overdue_appeals.call_local() == 1
        assert alert_overdue_appeals.call_local() == 0


def test_a_closed_account_is_told_by_letter(
    moderator, staff, member, author, group, django_capture_on_commit_callbacks
):
    from .conftest import post

    msg = post(author, group, "buy cheap pills here")
    case = services.report_message(user=member, message_id=msg.pk, reason="spam").case
    ban = services.case_act(
        actor=moderator, case_id=case.pk, kind="ban", reason="Selling", site_wide=True
    )
    author.refresh_from_db()
    assert not author.is_active
    mail.outbox.clear()
    appeal = _appeal(author, ban, django_capture_on_commit_callbacks)
    (letter,) = [m for m in mail.outbox if m.to == [author.email]]
    assert "We've got your appeal" in letter.subject
    assert "member of the Village staff team" in letter.body and _by(appeal) in letter.body
    assert "/moderation/closed/" in letter.body

"""Reporting messages and raising concerns about a person."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from chat.models import Message, RoomEvent
from moderation import services
from moderation.models import AuditEntry, Case, Reason, Report
from moderation.services import ModerationError
from notifications.models import Kind, Notification
from tests.factories import MembershipFactory

from .conftest import post

pytestmark = pytest.mark.django_db


def test_reasons_are_the_ones_members_are_offered():
    assert [label for _, label in Reason.choices] == [
        "Spam or advertising",
        "Unkind, bullying or harassment",
        "Harmful or dangerous advice",
        "Sharing someone's private information",
        "I think this is illegal",
        "A safeguarding concern (a child or adult may be at risk)",
        "Something else",
    ]


def test_member_reports_a_message(member, message):
    report = services.report_message(user=member, message_id=message.pk, reason="unkind")
    case = report.case
    assert case.kind == Case.Kind.REPORTS and case.is_open and case.message == message
    assert case.subject_id == message.author_id
    assert AuditEntry.objects.filter(event="report", case_id_ref=case.pk).count() == 1
    message.refresh_from_db()
    assert message.state == Message.State.VISIBLE  # one member's report does not hide it


def test_reports_on_one_message_share_one_case(member, make_member, message):
    other = make_member()
    a = services.report_message(user=member, message_id=message.pk, reason="spam")
    b = services.report_message(user=other, message_id=message.pk, reason="unkind", note="mean")
    assert a.case_id == b.case_id
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "who,code",
    [("author", "own_message"), ("outsider", "not_member"), ("other_group_fac", "not_member")],
)
def test_cannot_report_own_or_other_groups_message(
    who, code, author, user, other_facilitator, message
):
    actor = {"author": author, "outsider": user, "other_group_fac": other_facilitator}[who]
    with pytest.raises(ModerationError) as exc:
        services.report_message(user=actor, message_id=message.pk, reason="spam")
    assert exc.value.code == code
    assert exc.value.message  # a kind, plain sentence
    assert Report.objects.count() == 0 and Case.objects.count() == 0


def test_cannot_report_twice(member, message):
    services.report_message(user=member, message_id=message.pk, reason="spam")
    with pytest.raises(ModerationError) as exc:
        services.report_message(user=member, message_id=message.pk, reason="unkind")
    assert exc.value.code == "already_reported"
    assert Report.objects.count() == 1


def test_one_report_per_member_per_message_is_a_database_rule(member, message):
    r = services.report_message(user=member, message_id=message.pk, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            case=r.case, group=r.group, message=message, reporter=member, reason="spam"
        )


def test_something_else_needs_a_note(member, message):
    with pytest.raises(ModerationError) as exc:
        services.report_message(user=member, message_id=message.pk, reason="other")
    assert exc.value.code == "note_required"
    assert Report.objects.count() == 0


def test_autohide_at_threshold_of_distinct_reporters(settings, make_member, author, message):
    settings.VILLAGE = {**settings.VILLAGE, "MODERATION_AUTOHIDE_REPORTS": 3}
    reporters = [make_member() for _ in range(3)]
    services.report_message(user=reporters[0], message_id=message.pk, reason="spam")
    services.report_message(user=reporters[1], message_id=message.pk, reason="spam")
    message.refresh_from_db()
    assert message.state == Message.State.VISIBLE
    assert not Notification.objects.filter(user=author).exists()
    services.report_message(user=reporters[2], message_id=message.pk, reason="unkind")
    message.refresh_from_db()
    assert message.state == Message.State.HIDDEN
    assert RoomEvent.objects.filter(message=message, type="message.hidden").count() == 1
    told = Notification.objects.get(user=author)
    assert told.kind == Kind.MODERATION
    assert "hidden while a moderator looks at it" in told.title
    # The author is never told who reported it.
    for r in reporters:
        assert r.display_name not in told.title + told.body
    assert AuditEntry.objects.filter(event="auto_hide", verb="threshold").count() == 1


def test_threshold_is_configurable(settings, member, author, message):
    settings.VILLAGE = {**settings.VILLAGE, "MODERATION_AUTOHIDE_REPORTS": 1}
    services.report_message(user=member, message_id=message.pk, reason="spam")
    message.refresh_from_db()
    assert message.state == Message.State.HIDDEN


def test_one_facilitator_report_hides_at_once(facilitator, author, message):
    services.report_message(user=facilitator, message_id=message.pk, reason="harmful")
    message.refresh_from_db()
    assert message.state == Message.State.HIDDEN
    assert AuditEntry.objects.filter(event="auto_hide", verb="facilitator_report").exists()
    assert Notification.objects.filter(user=author, kind=Kind.MODERATION).exists()


def test_dismiss_restores_an_autohidden_message(facilitator, moderator, message):
    report = services.report_message(user=facilitator, message_id=message.pk, reason="spam")
    services.case_act(actor=moderator, case_id=report.case_id, kind="dismiss", reason="It was fine")
    message.refresh_from_db()
    assert message.state == Message.State.VISIBLE
    assert RoomEvent.objects.filter(message=message, type="message.restored").count() == 1
    assert Case.objects.get(pk=report.case_id).status == Case.Status.HANDLED


def test_safeguarding_report_is_urgent_and_alerts(member, facilitator, moderator, message):
    report = services.report_message(user=member, message_id=message.pk, reason="safeguarding")
    assert report.case.urgent
    alerted = set(
        Notification.objects.filter(kind=Kind.SAFEGUARDING, urgent=True).values_list(
            "user_id", flat=True
        )
    )
    assert alerted == {facilitator.pk, moderator.pk}


def test_concern_about_a_person_goes_to_facilitators_and_moderators(
    member, author, facilitator, moderator, group
):
    case = services.concern_raise(
        user=member, group_slug=group.slug, note="She said she has no food", subject_id=author.pk
    )
    assert case.kind == Case.Kind.CONCERN and case.urgent and case.message_id is None
    assert case.subject == author
    alerted = set(
        Notification.objects.filter(kind=Kind.SAFEGUARDING, urgent=True).values_list(
            "user_id", flat=True
        )
    )
    assert alerted == {facilitator.pk, moderator.pk}
    assert not Notification.objects.filter(user=author).exists()


def test_concern_needs_a_note_and_a_group_member(member, user, other_group, group):
    with pytest.raises(ModerationError):
        services.concern_raise(user=member, group_slug=group.slug, note="  ")
    outsider_in_other = MembershipFactory(group=other_group).user
    with pytest.raises(ModerationError):
        services.concern_raise(
            user=member, group_slug=group.slug, note="worried", subject_id=outsider_in_other.pk
        )
    with pytest.raises(ModerationError):
        services.concern_raise(user=user, group_slug=group.slug, note="worried")
    assert Case.objects.count() == 0


def test_report_after_removal_is_refused(member, moderator, make_member, message):
    r = services.report_message(user=member, message_id=message.pk, reason="spam")
    services.case_act(actor=moderator, case_id=r.case_id, kind="delete", reason="Spam")
    with pytest.raises(ModerationError):
        services.report_message(user=make_member(), message_id=message.pk, reason="spam")


def test_report_of_another_message_in_same_room_is_separate(member, author, group):
    a = post(author, group, "one")
    b = post(author, group, "two")
    ra = services.report_message(user=member, message_id=a.pk, reason="spam")
    rb = services.report_message(user=member, message_id=b.pk, reason="spam")
    assert ra.case_id != rb.case_id


def test_facilitators_get_a_quiet_note_once_per_item(facilitator, make_member, message):
    a, b = make_member(), make_member()
    services.report_message(user=a, message_id=message.pk, reason="spam")
    services.report_message(user=b, message_id=message.pk, reason="spam")
    notes = Notification.objects.filter(user=facilitator, kind=Kind.FACILITATOR)
    assert notes.count() == 1 and not notes.get().urgent
    assert a.display_name not in notes.get().title

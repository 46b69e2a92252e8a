"""Each action's effect, reasons, double handling, telling the author, appeals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chat.models import Message
from groups.models import Membership
from groups.permissions import Action, can
from moderation import services
from moderation.models import Appeal, AuditEntry, Case, ModAction
from moderation.services import AlreadyHandled, ModerationError
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(member, message):
    return services.report_message(user=member, message_id=message.pk, reason="unkind").case


def act(moderator, case, kind, **kw):
    kw.setdefault("reason", "Please keep it kind")
    return services.case_act(actor=moderator, case_id=case.pk, kind=kind, **kw)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_action_needs_a_reason(moderator, case, message, reason):
    with pytest.raises(ModerationError) as exc:
        act(moderator, case, "hide", reason=reason)
    assert exc.value.code == "reason_required"
    message.refresh_from_db()
    assert message.state == Message.State.VISIBLE
    assert Case.objects.get(pk=case.pk).is_open
    assert not ModAction.objects.exists()


def test_hide_and_author_is_told_with_reason(moderator, case, message, author, group):
    action = act(moderator, case, "hide", reason="Name-calling")
    message.refresh_from_db()
    assert message.state == Message.State.HIDDEN
    note = Notification.objects.get(user=author, kind=Kind.MODERATION)
    assert "Name-calling" in note.body
    assert group.name in note.body
    assert note.title == "A moderator has hidden one of your messages for now"
    assert note.url == f"/moderation/decisions/{action.pk}/"
    assert AuditEntry.objects.filter(event="action", verb="hide", actor_id=moderator.pk).exists()


def test_delete_removes_the_message(moderator, case, message):
    act(moderator, case, "delete")
    message.refresh_from_db()
    assert message.state == Message.State.REMOVED


def test_warn_is_a_private_notice(moderator, case, author, member):
    act(moderator, case, "warn", reason="Please be gentle")
    assert Notification.objects.filter(user=author, kind=Kind.MODERATION).count() == 1
    # The reporter only hears that it was looked at (issue 17), never what was decided.
    told = Notification.objects.filter(user=member, kind=Kind.MODERATION)
    assert [n.body for n in told] == [
        "Thank you for telling us. A moderator has looked at what you reported."
    ]
    assert "gentle" not in told[0].title + told[0].body


def test_mute_for_a_time(moderator, case, author, group):
    act(moderator, case, "mute", duration=timedelta(days=3))
    m = Membership.objects.get(user=author, group=group)
    assert m.muted_until > timezone.now() + timedelta(days=2)
    assert not can(author, Action.POST_MESSAGE, group, m)


def test_mute_needs_a_duration(moderator, case):
    with pytest.raises(ModerationError) as exc:
        act(moderator, case, "mute")
    assert exc.value.code == "duration"


def test_remove_from_group(facilitator, case, author, group):
    act(facilitator, case, "remove")
    assert Membership.objects.get(user=author, group=group).status == "removed"


def test_suspend_site_wide(moderator, case, author):
    act(moderator, case, "suspend", duration=timedelta(days=7))
    author.refresh_from_db()
    assert author.is_suspended()


def test_group_ban_and_site_ban(moderator, case, author, group, member, make_member):
    act(moderator, case, "ban")
    assert Membership.objects.get(user=author, group=group).status == "banned"
    author.refresh_from_db()
    assert author.is_active
    from .conftest import post

    other = make_member()
    msg = post(other, group, "spam spam")
    case2 = services.report_message(user=member, message_id=msg.pk, reason="spam").case
    act(moderator, case2, "ban", site_wide=True)
    other.refresh_from_db()
    assert not other.is_active


def test_second_moderator_sees_already_handled(moderator, moderator2, case, message):
    act(moderator, case, "hide")
    with pytest.raises(AlreadyHandled):
        act(moderator2, case, "dismiss")
    message.refresh_from_db()
    assert message.state == Message.State.HIDDEN
    assert ModAction.objects.count() == 1


def test_cannot_act_on_yourself(moderator, group):
    from tests.factories import MembershipFactory

    from .conftest import post

    MembershipFactory(group=group, user=moderator)
    reporter = MembershipFactory(group=group).user
    msg = post(moderator, group, "mine")
    case = services.report_message(user=reporter, message_id=msg.pk, reason="spam").case
    with pytest.raises(ModerationError):
        act(moderator, case, "warn")


def test_appeal_once_decided_by_a_different_moderator(moderator, moderator2, case, message, author):
    action = act(moderator, case, "hide")
    appeal = services.appeal_submit(user=author, action_id=action.pk, text="I was quoting")
    # moderator2 is told an appeal is waiting; the deciding moderator is not.
    assert Notification.objects.filter(user=moderator2, title__icontains="appeal").exists()
    assert not Notification.objects.filter(user=moderator, title__icontains="appeal").exists()
    with pytest.raises(ModerationError) as exc:
        services.appeal_submit(user=author, action_id=action.pk, text="again")
    assert exc.value.code == "already_appealed"
    with pytest.raises(ModerationError) as exc:
        services.appeal_decide(
            actor=moderator, appeal_id=appeal.pk, decision="reversed", reason="Fair"
        )
    assert exc.value.code == "same_moderator"
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"
    services.appeal_decide(
        actor=moderator2, appeal_id=appeal.pk, decision="reversed", reason="It was a quote"
    )
    message.refresh_from_db()
    assert message.state == Message.State.VISIBLE
    assert ModAction.objects.get(pk=action.pk).reversed_at is not None
    assert Notification.objects.filter(user=author, title__icontains="reversed").exists()
    with pytest.raises(AlreadyHandled):
        services.appeal_decide(
            actor=moderator2, appeal_id=appeal.pk, decision="upheld", reason="changed mind"
        )


def test_upheld_appeal_keeps_the_decision(moderator, moderator2, case, author, group):
    action = act(moderator, case, "mute", duration=timedelta(days=1))
    appeal = services.appeal_submit(user=author, action_id=action.pk, text="Sorry")
    services.appeal_decide(
        actor=moderator2, appeal_id=appeal.pk, decision="upheld", reason="A day is fair"
    )
    assert Membership.objects.get(user=author, group=group).is_muted()


def test_reversed_mute_and_removal_are_undone(moderator, moderator2, member, author, group):
    from .conftest import post

    msg = post(author, group, "x")
    case = services.report_message(user=member, message_id=msg.pk, reason="spam").case
    action = act(moderator, case, "remove")
    appeal = services.appeal_submit(user=author, action_id=action.pk, text="Please")
    services.appeal_decide(actor=moderator2, appeal_id=appeal.pk, decision="reversed", reason="ok")
    assert Membership.objects.get(user=author, group=group).status == "active"


def test_only_the_target_can_appeal(moderator, case, member):
    action = act(moderator, case, "hide")
    with pytest.raises(ModerationError):
        services.appeal_submit(user=member, action_id=action.pk, text="not mine")
    assert not Appeal.objects.exists()


def test_author_is_told_by_email_too(moderator, case, author, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        act(moderator, case, "warn", reason="Gently: no selling here")
    assert any(author.email in m.to for m in mail.outbox)

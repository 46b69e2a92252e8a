"""Who may take each moderation action. The expected table is written out here on purpose: it
must not be read from the policy it checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moderation import services
from moderation.models import Appeal, Case, Helpline, ModAction
from moderation.services import ModerationError
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import post

pytestmark = pytest.mark.django_db

ROLES = ["member", "facilitator", "other_facilitator", "moderator", "staff"]

#            member  fac-here  fac-other  moderator  staff
EXPECTED = {
    "report": (True, True, False, False, False),
    "view_queue": (False, True, False, True, True),
    "dismiss": (False, True, False, True, True),
    "hide": (False, True, False, True, True),
    "delete": (False, False, False, True, True),
    "warn": (False, True, False, True, True),
    "mute": (False, True, False, True, True),
    "remove": (False, True, False, True, True),
    "suspend": (False, False, False, True, True),
    "ban": (False, False, False, True, True),
    "view_audit_log": (False, False, False, True, True),
    "manage_watchlist": (False, False, False, True, True),
    "decide_appeal": (False, False, False, True, True),
    "view_figures": (False, False, False, False, True),
    "edit_helplines": (False, False, False, False, True),
}
CASES = [
    (action, role, allowed[i])
    for action, allowed in EXPECTED.items()
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def world(db):
    group = GroupFactory()
    author = MembershipFactory(group=group).user
    reporter = MembershipFactory(group=group).user
    users = {
        "member": MembershipFactory(group=group).user,
        "facilitator": MembershipFactory(group=group, role="facilitator").user,
        "other_facilitator": MembershipFactory(role="facilitator").user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
    }
    return group, author, reporter, users


def _reported_case(group, author, reporter) -> Case:
    message = post(author, group, "a reported message")
    return services.report_message(user=reporter, message_id=message.pk, reason="spam").case


def attempt(action: str, actor, group, author, reporter, client) -> bool:
    """Try the action; True if it happened, False if refused (and nothing changed)."""
    if action == "report":
        message = post(author, group, "report me")
        try:
            services.report_message(user=actor, message_id=message.pk, reason="spam")
        except ModerationError:
            return False
        return True
    if action in ("view_queue", "view_audit_log", "view_figures", "edit_helplines"):
        url = {
            "view_queue": "/moderation/",
            "view_audit_log": "/moderation/audit/",
            "view_figures": "/moderation/figures/",
            "edit_helplines": "/moderation/helplines/",
        }[action]
        case = _reported_case(group, author, reporter)
        client.force_login(actor)
        response = client.get(url)
        status = response.status_code
        assert status in (200, 403)
        if action == "view_queue" and status == 200:
            # Their own (empty) queue is fine; what matters is whether this group's item shows.
            return f'id="case-{case.pk}"' in response.content.decode()
        if action == "edit_helplines":
            line = Helpline.objects.first()
            try:
                services.helpline_save(actor=actor, helpline=line)
            except ModerationError:
                assert status == 403
                return False
        return status == 200
    if action == "manage_watchlist":
        try:
            services.watch_term_add(actor=actor, term="buy followers", action="block")
        except ModerationError:
            return False
        return True
    if action == "decide_appeal":
        case = _reported_case(group, author, reporter)
        first = UserFactory(is_moderator=True)
        hide = services.case_act(actor=first, case_id=case.pk, kind="hide", reason="Unkind")
        appeal = services.appeal_submit(user=author, action_id=hide.pk, text="It was a joke")
        try:
            services.appeal_decide(
                actor=actor, appeal_id=appeal.pk, decision="upheld", reason="Still unkind"
            )
        except ModerationError:
            assert Appeal.objects.get(pk=appeal.pk).status == "pending"
            return False
        return True
    # A decision on a queue item.
    case = _reported_case(group, author, reporter)
    before = ModAction.objects.count()
    try:
        services.case_act(
            actor=actor,
            case_id=case.pk,
            kind=action,
            reason="Because of the house rules",
            duration=timedelta(days=1) if action in ("mute", "suspend") else None,
        )
    except ModerationError:
        assert ModAction.objects.count() == before
        assert Case.objects.get(pk=case.pk).is_open
        return False
    return True


@pytest.mark.parametrize("action,role,allowed", CASES)
def test_role_action_matrix(action, role, allowed, world, client):
    group, author, reporter, users = world
    assert attempt(action, users[role], group, author, reporter, client) is allowed

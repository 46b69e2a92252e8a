"""`manage.py seed_demo`: refused without DEBUG, safe to run twice."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import User
from groups.models import Group, Invite, Membership, Topic

EMAILS = [
    "parent@example.com",
    "parent2@example.com",
    "facilitator@example.com",
    "moderator@example.com",
]


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, EmailAddress, Topic, Group, Membership, Invite)
    }


def test_seed_demo_refused_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists() and not Group.objects.exists()


def test_seed_demo_creates_the_demo_and_is_idempotent(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == first

    users = {u.email: u for u in User.objects.filter(email__in=EMAILS)}
    assert set(users) == set(EMAILS)
    for user in users.values():
        assert user.check_password("village-demo")
        assert EmailAddress.objects.get(user=user, email=user.email).verified
    assert users["parent@example.com"].display_name == "Sam"
    assert users["moderator@example.com"].is_moderator
    assert set(Topic.objects.values_list("name", flat=True)) >= {
        "New parents", "SEND", "Dads", "Carers", "Feeding", "Mental health",
    }  # fmt: skip

    groups = list(
        Group.objects.filter(
            memberships__user=users["facilitator@example.com"], memberships__role="facilitator"
        )
    )
    kinds = {(g.visibility, g.join_policy) for g in groups}
    assert kinds >= {("listed", "open"), ("listed", "request"), ("unlisted", "invite")}
    open_group = next(g for g in groups if g.join_policy == "open")
    members = set(
        Membership.objects.filter(group=open_group, status="active").values_list(
            "user__email", flat=True
        )
    )
    assert {"parent@example.com", "parent2@example.com"} <= members
    request_group = next(g for g in groups if g.join_policy == "request")
    assert len(request_group.join_questions) == 2

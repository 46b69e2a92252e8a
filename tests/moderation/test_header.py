"""The "Moderation" link in the site header: moderators, staff and facilitators of any group,
from a cached flag so it adds no query to ordinary pages; it follows role changes at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Membership
from moderation import services
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import post

pytestmark = pytest.mark.django_db

LINK = 'href="/moderation/">Moderation</a>'


def _home(client) -> str:
    return client.get(reverse("home")).content.decode()


def test_link_for_moderators_staff_and_facilitators_only(client, group, facilitator, moderator):
    member = MembershipFactory(group=group).user
    staff = UserFactory(is_staff=True)
    for user, shown in ((member, False), (facilitator, True), (moderator, True), (staff, True)):
        client.force_login(user)
        assert (LINK in _home(client)) is shown, user


def test_link_follows_role_changes(client, group, facilitator):
    membership = MembershipFactory(group=group)
    client.force_login(membership.user)
    assert LINK not in _home(client)
    group_services.membership_make_facilitator(membership=membership, actor=facilitator)
    assert LINK in _home(client)
    group_services.membership_remove(membership=membership, actor=facilitator)
    assert LINK not in _home(client)


def test_link_goes_when_a_moderator_removes_a_facilitator(client, moderator):
    other = GroupFactory()
    fac = MembershipFactory(group=other, role=Membership.Role.FACILITATOR).user
    client.force_login(fac)
    assert LINK in _home(client)
    msg = post(fac, other, "buy my stuff")
    reporter = MembershipFactory(group=other).user
    report = services.report_message(user=reporter, message_id=msg.pk, reason="spam")
    services.case_act(actor=moderator, case_id=report.case_id, kind="remove", reason="Selling")
    assert LINK not in _home(client)


def test_header_adds_no_query_once_the_flag_is_warm(client, facilitator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from moderation.selectors import forget_facilitator_flag

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert LINK in _home(client)
        return len(ctx.captured_queries)

    client.force_login(facilitator)  # log-in warms the flag
    warm = count()
    forget_facilitator_flag(facilitator.pk)
    assert count() == warm + 1  # one light query on a miss...
    assert count() == warm  # ...and none after

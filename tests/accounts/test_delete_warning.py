"""A sole facilitator deleting their account is warned, naming their groups (issue 17)."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_sole_facilitator_is_warned_by_group_but_not_blocked(client):
    user = UserFactory()
    alone = GroupFactory(name="Tuesday Dads")
    shared = GroupFactory(name="Twins Club")
    member_only = GroupFactory(name="Night Feeds")
    MembershipFactory(group=alone, user=user, role="facilitator")
    MembershipFactory(group=alone)  # someone who could take over
    MembershipFactory(group=shared, user=user, role="facilitator")
    MembershipFactory(group=shared, role="facilitator")
    MembershipFactory(group=member_only, user=user)
    client.force_login(user)
    html = client.get("/me/delete/").content.decode()
    assert "You&#x27;re the only facilitator of Tuesday Dads" in html
    assert "make someone else a facilitator" in html
    assert f'href="/groups/{alone.slug}/members/"' in html
    assert "Twins Club" not in html and "Night Feeds" not in html
    # Deleting is still allowed: it's a warning, not a wall.
    response = client.post("/me/delete/", {"password": "village-test"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user.pk).exists()


def test_members_and_shared_facilitators_see_no_warning(client):
    user = UserFactory()
    group = GroupFactory()
    MembershipFactory(group=group, user=user, role="facilitator")
    MembershipFactory(group=group, role="facilitator")
    client.force_login(user)
    html = client.get("/me/delete/").content.decode()
    assert "only facilitator" not in html
    assert "Delete my account" in html

"""The admin is usable for staff: every groups model lists, searches and opens."""

import pytest
from django.urls import reverse

from groups import services
from tests.factories import MembershipFactory


@pytest.mark.parametrize("model", ["group", "membership", "invite", "topic"])
def test_admin_changelists_and_search(admin_client, group, model):
    jo = MembershipFactory(group=group, role="facilitator").user
    services.invite_create(group=group, created_by=jo)
    url = reverse(f"admin:groups_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Parents"}).status_code == 200


def test_admin_group_change_page(admin_client, group):
    MembershipFactory.create_batch(3, group=group)
    response = admin_client.get(reverse("admin:groups_group_change", args=[group.pk]))
    assert response.status_code == 200

"""The Membership admin changes roles and statuses only through the group services (issue 12):
read-only fields, and actions that notify, audit and cut off sockets like the pages do."""

import pytest
from django.urls import reverse

from groups.models import Membership
from notifications.models import Notification
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

R, S = Membership.Role, Membership.Status


def _change_url(membership):
    return reverse("admin:groups_membership_change", args=[membership.pk])


def _act(admin_client, action, *memberships):
    return admin_client.post(
        reverse("admin:groups_membership_changelist"),
        {"action": action, "_selected_action": [m.pk for m in memberships]},
        follow=True,
    )


def test_role_and_status_cannot_be_typed_in(admin_client):
    membership = MembershipFactory()
    page = admin_client.get(_change_url(membership)).content.decode()
    assert 'name="role"' not in page and 'name="status"' not in page
    admin_client.post(_change_url(membership), {"role": R.FACILITATOR, "status": S.BANNED})
    membership.refresh_from_db()
    assert (membership.role, membership.status) == (R.MEMBER, S.ACTIVE)


def test_make_facilitator_goes_through_the_service_and_tells_them(admin_client):
    membership = MembershipFactory()
    response = _act(admin_client, "make_facilitator", membership)
    assert "1 new facilitator." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == R.FACILITATOR
    assert Notification.objects.filter(user=membership.user, kind="membership").exists()


def test_a_refusal_is_said_plainly_and_the_rest_still_happen(admin_client):
    already = MembershipFactory(role=R.FACILITATOR)
    member = MembershipFactory(group=already.group)
    page = _act(admin_client, "make_facilitator", already, member).content.decode()
    assert "already a facilitator" in page
    member.refresh_from_db()
    assert member.role == R.FACILITATOR


@pytest.mark.parametrize("action,status", [("remove", S.REMOVED), ("ban", S.BANNED)])
def test_remove_and_ban_keep_the_history(admin_client, action, status):
    membership = MembershipFactory()
    _act(admin_client, action, membership)
    membership.refresh_from_db()
    assert membership.status == status
    assert membership.decided_by is not None


def test_approve_a_pending_request(admin_client):
    pending = MembershipFactory(status=S.PENDING, joined_at=None)
    _act(admin_client, "approve", pending)
    pending.refresh_from_db()
    assert pending.status == S.ACTIVE


def test_memberships_cannot_be_added_or_deleted_in_the_admin(admin_client):
    membership = MembershipFactory()
    assert admin_client.get(reverse("admin:groups_membership_add")).status_code == 403
    delete = reverse("admin:groups_membership_delete", args=[membership.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()

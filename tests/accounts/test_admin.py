"""The admin is usable for staff for the accounts models, and never shows session keys."""

from django.test import Client
from django.urls import reverse

from accounts.models import LoginSession
from tests.factories import UserFactory


def test_member_admin_lists_searches_and_opens(admin_client, user):
    url = reverse("admin:accounts_user_changelist")
    assert admin_client.get(url).status_code == 200
    assert user.display_name in admin_client.get(url, {"q": user.email}).content.decode()
    change = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert change.status_code == 200


def test_login_sessions_are_listed_without_their_keys(admin_client, user):
    phone = Client()
    phone.force_login(user)
    key = phone.session.session_key
    row = LoginSession.objects.get(user=user)
    listing = admin_client.get(reverse("admin:accounts_loginsession_changelist"))
    detail = admin_client.get(reverse("admin:accounts_loginsession_change", args=[row.pk]))
    assert listing.status_code == 200 and detail.status_code == 200
    assert key not in listing.content.decode() and key not in detail.content.decode()


def test_staff_can_log_a_member_out_everywhere(admin_client, db):
    member = UserFactory()
    phone = Client()
    phone.force_login(member)
    assert phone.get("/me/").status_code == 200
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "log_out_everywhere", "_selected_action": [member.pk]},
        follow=True,
    )
    assert "Ended 1 session." in response.content.decode()
    assert phone.get("/me/").status_code == 302

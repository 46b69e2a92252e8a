"""Legal duties: account deletion erases and anonymises; the export holds only your own data."""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError

from accounts import privacy
from accounts.models import User
from accounts.services import account_delete
from chat.models import Message, Room
from groups.models import Membership
from notifications.models import Notification, Preference
from notifications.services import notify
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered_test_eraser():
    """An extra app's eraser, registered the way every app does, removed afterwards."""
    calls = []
    privacy.register("zz_test_app", erase=lambda user: calls.append(user.pk))
    yield calls
    privacy._registry.pop("zz_test_app", None)


def make_post(user, group, body="Has anyone tried the baby group at the library?"):
    room, _ = Room.objects.get_or_create(group=group)
    room.last_seq += 1
    room.save()
    return Message.objects.create(room=room, seq=room.last_seq, author=user, body=body)


def test_chat_posts_survive_as_former_member():
    field = Message._meta.get_field("author")
    assert field.null
    assert field.remote_field.on_delete.__name__ == "SET_NULL"


def test_account_delete_erases_and_anonymises(group, registered_test_eraser, client):
    membership = MembershipFactory(group=group)
    user = membership.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
    Preference.objects.create(user=user, kind="mention", email=False)
    notify(user_ids=[user.pk], kind="mention", title="Someone mentioned you", email=False)
    post = make_post(user, group)
    client.force_login(user)
    assert Session.objects.count() == 1
    other = UserFactory()
    other_post = make_post(other, group)
    other_client_session = client.session.session_key

    user_id = user.pk

    account_delete(user=user, password="village-test")

    assert registered_test_eraser == [user_id]
    assert not User.objects.filter(pk=user_id).exists()
    assert not EmailAddress.objects.filter(email=user.email).exists()
    assert not Authenticator.objects.filter(user_id=user_id).exists()
    assert not Notification.objects.filter(user_id=user_id).exists()
    assert not Preference.objects.filter(user_id=user_id).exists()
    assert not Membership.objects.filter(user_id=user_id).exists()
    assert not Session.objects.filter(session_key=other_client_session).exists()
    post.refresh_from_db()
    assert post.author_id is None  # shown as "Former member"
    assert post.body  # the conversation still makes sense
    other_post.refresh_from_db()
    assert other_post.author_id == other.pk


def test_wrong_password_changes_nothing(member, registered_test_eraser):
    with pytest.raises(ValidationError):
        account_delete(user=member, password="not-it")
    assert User.objects.filter(pk=member.pk).exists()
    assert registered_test_eraser == []


def test_an_eraser_failing_rolls_everything_back(member):
    def broken(user):
        Preference.objects.create(user=user, kind="mention", email=False)
        raise RuntimeError("boom")

    privacy.register("zz_broken", erase=broken)
    try:
        with pytest.raises(RuntimeError):
            account_delete(user=member, password="village-test")
    finally:
        privacy._registry.pop("zz_broken", None)
    assert User.objects.filter(pk=member.pk).exists()
    assert not Preference.objects.filter(user=member).exists()
    assert Membership.objects.filter(user=member).exists()


def test_delete_page_needs_the_password_and_then_logs_out(client, member, group):
    post = make_post(member, group)
    client.force_login(member)
    page = client.get("/me/delete/")
    assert b"Former member" in page.content
    response = client.post("/me/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert User.objects.filter(pk=member.pk).exists()
    response = client.post("/me/delete/", {"password": "village-test"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    assert client.get("/me/").status_code == 302  # logged out
    post.refresh_from_db()
    assert post.author_id is None


def test_export_is_a_json_download_of_only_my_data(client, group):
    me = MembershipFactory(group=group, user=UserFactory(email="me@example.com")).user
    other = MembershipFactory(
        group=group, user=UserFactory(email="them@example.com", display_name="Their Name")
    ).user
    notify(user_ids=[me.pk], kind="mention", title="For me", email=False)
    notify(user_ids=[other.pk], kind="mention", title="For them only", email=False)
    make_post(other, group, body="their private worry")
    make_post(me, group, body="my own question about sleep")
    client.force_login(me)

    response = client.get("/me/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    data = json.loads(text)
    assert data["accounts"]["email"] == "me@example.com"
    assert data["accounts"]["memberships"][0]["group"] == group.name
    assert [n["title"] for n in data["notifications"]["notifications"]] == ["For me"]
    assert "my own question about sleep" in text  # my posts are mine to take away
    for secret in ("them@example.com", "Their Name", "For them only", "their private worry"):
        assert secret not in text
    # Every registered exporter is in the file.
    for name in privacy.exporters():
        assert name in data


def test_export_needs_login(client, db):
    assert client.get("/me/export/").status_code == 302

"""Sign-up, email verification, log-in by email and password reset, through allauth."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-kind-password-42"


def signup(client, **overrides):
    data = {
        "display_name": "Sam",
        "email": "sam@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def confirm_link(message) -> str:
    match = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", message.body)
    assert match, message.body
    return match.group(0).split("://", 1)[1].split("/", 1)[1]


def test_signup_page_is_warm_and_has_every_field(client):
    response = client.get("/accounts/signup/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Create your account" in html
    for name in ("display_name", "email", "password1", "password2"):
        assert f'name="{name}"' in html
    # Our layout, not allauth's bare one.
    assert 'class="site-header' in html
    assert html.index('name="display_name"') < html.index('name="email"')


def test_login_page_says_welcome_back(client):
    html = client.get("/accounts/login/").content.decode()
    assert "Welcome back" in html
    assert 'name="login"' in html and 'type="email"' in html


def test_signup_sets_display_name_and_requires_verification(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="sam@example.com")
    assert user.display_name == "Sam"
    assert not EmailAddress.objects.get(user=user).verified
    # Not logged in until the email is confirmed.
    assert client.get("/me/").status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Village] Please confirm your email address"
    assert message.body.startswith("Hello from Village,")
    path = "/" + confirm_link(message)
    page = client.get(path)
    assert b"Confirm your email" in page.content
    client.post(path)
    assert EmailAddress.objects.get(user=user).verified
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION logs the new member in.
    assert client.get("/me/").status_code == 200


def test_unverified_member_cannot_log_in_when_verification_is_mandatory(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    signup(client)
    client.logout()
    mail.outbox.clear()
    response = client.post("/accounts/login/", {"login": "sam@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/me/").status_code == 302


def test_log_in_by_email_after_verifying(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    signup(client)
    client.post("/" + confirm_link(mail.outbox[0]))
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "SAM@example.com", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].email == "sam@example.com"


def test_bad_signup_keeps_what_was_typed_and_says_what_is_wrong(client):
    response = signup(client, password2="something-else-entirely", display_name="Jo B")
    html = response.content.decode()
    assert response.status_code == 200
    assert not User.objects.filter(email="sam@example.com").exists()
    assert 'value="Jo B"' in html
    assert 'value="sam@example.com"' in html
    # The error sits with its field.
    field = html[html.index('for="id_password2"') - 200 :]
    assert "errorlist" in field[: field.index('name="password2"')]


def test_blank_display_name_is_refused(client):
    response = signup(client, display_name="   ")
    assert response.status_code == 200
    assert not User.objects.filter(email="sam@example.com").exists()


def test_password_reset_sends_a_link(client, user):
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # Nobody learns whether an address has an account.
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302


def test_rate_limits_are_on(settings):
    from allauth.account import app_settings

    assert settings.ACCOUNT_RATE_LIMITS_DISABLED is False
    limits = app_settings.RATE_LIMITS
    assert limits.get("login_failed")
    assert limits.get("signup")


def test_failed_logins_are_rate_limited(client, user):
    for _ in range(10):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    # Even the right password is refused for a while after many failures.
    response = client.post("/accounts/login/", {"login": user.email, "password": "village-test"})
    assert response.status_code == 429
    assert client.get("/me/").status_code == 302

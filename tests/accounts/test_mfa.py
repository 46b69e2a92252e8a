"""Moderators and staff must set up two-step log-in before using Village (outside DEBUG)."""

import pytest
from allauth.mfa.models import Authenticator

pytestmark = pytest.mark.django_db


@pytest.fixture
def require_mfa(settings):
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = True


@pytest.mark.parametrize("who", ["moderator", "staff"])
def test_moderators_and_staff_are_sent_to_set_up_mfa(client, require_mfa, request, who):
    person = request.getfixturevalue(who)
    # A real log-in (not force_login), so allauth knows they just authenticated.
    client.post("/accounts/login/", {"login": person.email, "password": "village-test"})
    for path in ("/", "/me/", "/notifications/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    # The set-up pages (allauth asks for the password once more first) stay reachable.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(page["Location"]).status_code == 200
    client.post(page["Location"], {"password": "village-test"})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert b'name="code"' in page.content
    assert b"your account needs a second lock" in page.content
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/me/").status_code == 302
    assert "/accounts/login/" in client.get("/me/")["Location"]


def test_once_mfa_is_set_up_they_get_in(client, require_mfa, moderator):
    Authenticator.objects.create(user=moderator, type=Authenticator.Type.TOTP, data={})
    client.force_login(moderator)
    assert client.get("/me/").status_code == 200


def test_ordinary_members_are_not_asked(client, require_mfa, user):
    client.force_login(user)
    assert client.get("/me/").status_code == 200


def test_setting_off_lets_moderators_in_with_a_password(client, settings, moderator):
    settings.VILLAGE_REQUIRE_MFA_FOR_STAFF = False
    client.force_login(moderator)
    assert client.get("/me/").status_code == 200


def test_setting_is_on_outside_debug():
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.VILLAGE_REQUIRE_MFA_FOR_STAFF)"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x" * 60,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "village.example.org",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    ).stdout.strip()
    assert out == "True"


def test_log_in_with_two_step_asks_for_the_code(client, moderator):
    """A moderator with an authenticator app gets our code page after the password, and a
    wrong code does not let them in."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(moderator, "JBSWY3DPEHPK3PXP")
    response = client.post(
        "/accounts/login/", {"login": moderator.email, "password": "village-test"}, follow=True
    )
    html = response.content.decode()
    assert "One more step" in html
    assert 'name="code"' in html
    client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert client.get("/me/").status_code == 302

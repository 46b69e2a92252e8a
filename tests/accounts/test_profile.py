"""The member's own profile page: name, about me, time zone and email choices."""

import pytest

from notifications.models import Kind, Preference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_profile_needs_login(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_profile_shows_own_details_and_time_zones_with_london_first(logged_in, user):
    html = logged_in.get("/me/").content.decode()
    assert user.display_name in html
    options = html[html.index('name="time_zone"') :]
    assert options.index("Europe/London") < options.index("Europe/Paris")
    assert "never see your email address" in html


def test_profile_update_saves(logged_in, user):
    response = logged_in.post(
        "/me/", {"display_name": "  Kim  ", "about": "Mum of two.", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.about, user.time_zone) == ("Kim", "Mum of two.", "Europe/Paris")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"display_name": "", "about": "", "time_zone": "Europe/London"}, "display_name"),
        ({"display_name": "Kim", "about": "x" * 501, "time_zone": "Europe/London"}, "about"),
        ({"display_name": "Kim", "about": "", "time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_bad_profile_input_keeps_what_was_typed(logged_in, user, data, field):
    before = user.display_name
    response = logged_in.post("/me/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    user.refresh_from_db()
    assert user.display_name == before
    if data["about"]:
        assert data["about"] in response.content.decode()


def test_profile_update_service_rejects_unknown_time_zone(user):
    from django.core.exceptions import ValidationError

    from accounts.services import profile_update

    with pytest.raises(ValidationError):
        profile_update(user=user, display_name="Kim", about="", time_zone="Not/AZone")


def test_email_preferences_are_saved(logged_in, user):
    html = logged_in.get("/me/").content.decode()
    assert f'value="{Kind.MEETUP_REMINDER}"' in html
    # Members who aren't moderators don't see the safeguarding switch.
    assert f'value="{Kind.SAFEGUARDING}"' not in html
    shown = [k for k in Kind.values if k != Kind.SAFEGUARDING]
    on = [k for k in shown if k != Kind.MISSED_YOU]
    response = logged_in.post("/notifications/preferences/", {"shown": shown, "email": on})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    prefs = dict(Preference.objects.filter(user=user).values_list("kind", "email"))
    assert prefs[Kind.MISSED_YOU] is False
    assert prefs[Kind.MEETUP_REMINDER] is True
    html = logged_in.get("/me/").content.decode()
    assert f'value="{Kind.MISSED_YOU}" id="pref-{Kind.MISSED_YOU}">' in html  # unticked
    assert f'value="{Kind.MENTION}" id="pref-{Kind.MENTION}" checked>' in html


def test_profile_never_shows_another_members_email(logged_in):
    other = UserFactory(email="secret-person@example.com")
    assert other.email not in logged_in.get("/me/").content.decode()

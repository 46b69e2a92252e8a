"""Profile "about me" asks "Save anyway?" before showing personal details to other members,
and a member chooses which kinds they're asked about."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db

ABOUT = "Mum of two. Email me at jo@example.com"


def _save(client, **extra):
    return client.post("/me/", {"display_name": "Jo", "time_zone": "UTC", "about": ABOUT, **extra})


def test_about_me_with_an_email_is_asked_about_first(client, user):
    client.force_login(user)
    r = _save(client)
    html = r.content.decode()
    assert r.status_code == 200
    assert "This includes an email address. Other members can see your profile." in html
    assert "Save anyway" in html and "jo@example.com" in html
    assert User.objects.get(pk=user.pk).about == ""
    assert _save(client, private_ok="yes").status_code == 302
    assert User.objects.get(pk=user.pk).about == ABOUT


def test_members_choose_what_they_are_asked_about(client, user):
    client.force_login(user)
    page = client.get("/me/").content.decode()
    assert 'name="ask" value="email"' in page and "checked" in page
    kinds = ["phone", "postcode", "address", "school", "card", "bank", "ni_number"]
    r = client.post("/me/private-details/", {"ask": kinds})  # email left unticked
    assert r.status_code == 302
    assert User.objects.get(pk=user.pk).private_details_skip == ["email"]
    assert _save(client).status_code == 302  # not asked about email addresses any more
    # Bad input changes nothing it shouldn't: unknown kinds are refused by the form.
    client.post("/me/private-details/", {"ask": ["nonsense"]})
    assert User.objects.get(pk=user.pk).private_details_skip == ["email"]

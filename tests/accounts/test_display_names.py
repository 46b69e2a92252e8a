"""A display name may not claim a role or speak for the site: Village shows roles itself."""

import pytest

from accounts.forms import ProfileForm
from accounts.models import User

from .test_signup import signup

pytestmark = pytest.mark.django_db

CLAIMS = [
    "Jo (facilitator)",
    "Village team",
    "Village",
    "VILLAGE",
    "the village",
    "V1llage",
    "Vi11age",
    "V i l l a g e",
    "V.i.l.l.a.g.e Team",
    "Vіllage",  # Cyrillic і
    "Ⅴillage",  # Roman numeral five
    "Víllage",  # an accent
    "Vil\u200blage",  # a zero-width space inside
    "Village\u00a0Support",
    "villageteam",
    "Alex - Moderator",
    "M0derat0r Sam",
    "moderator",
    "Admin",
    "Jo, admin",
    "JoAdmin",
    "Sam (staff)",
    "STAFF",
    "Team",
    "The Team",
    "Official",
    "Offical Village",
    "Safeguarding lead",
    "Faci1itator Jo",
    "Mod",
    "Administrator",
]

FINE = [
    "Jo",
    "Sam B",
    "Priya",
    "Stafford Dad",
    "Steamy",
    "Adminah",
    "Villa",
    "Modesty",
    "Teamaker",
    "Jo 👋",
    "مرحبا",
    "Chris (he/him)",
]


@pytest.mark.parametrize("name", CLAIMS)
def test_sign_up_refuses_a_name_that_claims_a_role(client, name):
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert not User.objects.filter(email="sam@example.com").exists()
    assert "mention a role or Village itself" in response.content.decode()


@pytest.mark.parametrize("name", CLAIMS)
def test_the_profile_refuses_a_name_that_claims_a_role(client, user, name):
    form = ProfileForm(data={"display_name": name, "about": "", "time_zone": "Europe/London"})
    assert not form.is_valid()
    assert "mention a role" in form.errors["display_name"][0]
    client.force_login(user)
    before = user.display_name
    response = client.post("/me/", {"display_name": name, "about": "", "time_zone": "UTC"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.display_name == before


@pytest.mark.parametrize("name", FINE)
def test_ordinary_names_are_fine(client, user, name):
    form = ProfileForm(data={"display_name": name, "about": "", "time_zone": "Europe/London"})
    assert form.is_valid(), form.errors
    response = signup(client, display_name=name)
    assert response.status_code == 302
    assert User.objects.get(email="sam@example.com").display_name == name

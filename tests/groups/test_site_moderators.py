"""Who counts as a site moderator: one answer, from the permission module, for pages,
services and notifications alike."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from groups.permissions import is_site_moderator, site_moderators
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    facilitator = UserFactory()
    MembershipFactory(user=facilitator, role="facilitator")
    return {
        "member": UserFactory(),
        "facilitator": facilitator,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
        "closed_moderator": UserFactory(is_moderator=True, is_active=False),
    }


#: Written out by hand: who is a site moderator.
EXPECTED = {
    "member": False,
    "facilitator": False,
    "moderator": True,
    "staff": True,
    "closed_moderator": False,
}


def test_is_site_moderator(people):
    assert {name: is_site_moderator(u) for name, u in people.items()} == EXPECTED
    assert is_site_moderator(AnonymousUser()) is False
    assert is_site_moderator(None) is False


def test_site_moderators_are_the_same_people(people):
    expected = {people[name].pk for name, yes in EXPECTED.items() if yes}
    assert set(site_moderators().values_list("pk", flat=True)) == expected


def test_templates_ask_the_same_question(people):
    page = Template(
        '{% load permission_tags %}{% if user|is_site_moderator %}yes{% endif %}'
        '|{% if user|may_site:"edit_helplines" %}helplines{% endif %}'
    )
    seen = {name: page.render(Context({"user": u})) for name, u in people.items()}
    assert seen == {
        "member": "|",
        "facilitator": "|",
        "moderator": "yes|",
        "staff": "yes|helplines",
        "closed_moderator": "|",
    }

"""access_message: the one way to get a chat message to act on. Its room decides the rules
(a group room's, or a private check-in's), and "no such message" and "not where you can see"
are the same 404."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from chat import checkins, services
from groups.models import Group, Membership
from groups.permissions import Action, access_message
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _send(user, room, body="hello"):
    return services.message_send(user=user, room=room, body=body, client_id=uuid.uuid4())


@pytest.fixture
def world():
    group = GroupFactory()
    member = MembershipFactory(group=group).user
    other = MembershipFactory(group=group).user
    facilitator = MembershipFactory(group=group, role=Membership.Role.FACILITATOR).user
    room = services.room_for_group(group.pk)
    checkin = checkins.checkin_start(user=facilitator, group=group, member=member)
    return {
        "group": group,
        "member": member,
        "other": other,
        "facilitator": facilitator,
        "moderator": UserFactory(is_moderator=True),
        "outsider": UserFactory(),
        "in_room": _send(member, room).message,
        "in_checkin": _send(facilitator, checkin).message,
    }


def _answer(user, message, action=Action.REPORT_CONTENT):
    try:
        found = access_message(user, message.pk, action)
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"
    assert found.message == message and found.group.pk == message.room.group_id
    return "ok"


#: Written out by hand: reporting a message, by who and where it is.
EXPECTED = {
    #              group room  check-in
    "member": ("ok", "ok"),
    "other": ("ok", "404"),  # another member never learns a check-in exists
    "facilitator": ("ok", "ok"),
    "moderator": ("403", "403"),  # may read both, may report neither
    "outsider": ("403", "404"),  # a listed group: they may see it, not report in it
}


def test_reporting_follows_the_room_rules(world):
    seen = {
        who: (_answer(world[who], world["in_room"]), _answer(world[who], world["in_checkin"]))
        for who in EXPECTED
    }
    assert seen == EXPECTED


def test_an_unlisted_groups_message_is_a_404_to_an_outsider(world):
    world["group"].visibility = Group.Visibility.UNLISTED
    world["group"].save()
    assert _answer(world["outsider"], world["in_room"]) == "404"


def test_no_such_message_is_the_same_404(world):
    with pytest.raises(Http404):
        access_message(world["member"], 10**9, Action.REPORT_CONTENT)


def test_reading_is_a_different_action_from_reporting(world):
    assert _answer(world["moderator"], world["in_checkin"], Action.READ_CHAT) == "ok"
    assert _answer(world["other"], world["in_checkin"], Action.READ_CHAT) == "404"

"""Role badges next to names in the room come from the server (facilitators of the group, site
moderators), never from the name itself: the same on the page, in live frames and on resume."""

from __future__ import annotations

import pytest

from chat import payloads, selectors
from chat.models import Message
from groups import services as groups_services
from tests.factories import MembershipFactory, UserFactory

from .conftest import room_url, send_message

FACILITATOR = {"role": "facilitator", "label": "Facilitator"}
MODERATOR = {"role": "moderator", "label": "Moderator"}


@pytest.fixture
def site_moderator(group):
    user = UserFactory(is_moderator=True)
    MembershipFactory(group=group, user=user)
    return user


@pytest.mark.django_db
def test_the_payload_carries_the_authors_role(member, facilitator, site_moderator, room):
    send_message(member, room, "hello")
    # The sender's caller knows the role (chat.protocol, chat.views): the live frame uses it.
    sent = send_message(facilitator, room, "welcome", is_facilitator=True)
    assert payloads.message_dict(sent)["badge"] == FACILITATOR
    send_message(site_moderator, room, "hi all")
    # A message loaded on its own asks the database.
    by_member, by_facilitator, by_moderator = Message.objects.order_by("seq")
    assert payloads.message_dict(by_member)["badge"] is None
    assert payloads.message_dict(by_facilitator)["badge"] == FACILITATOR
    assert payloads.message_dict(by_moderator)["badge"] == MODERATOR
    # Pages and resumes read the same answer from their own query.
    page = selectors.message_page(room=room, viewer_id=member.pk)
    assert [payloads.message_view(m, member.pk)["badge"] for m in page.messages] == [
        None, FACILITATOR, MODERATOR,
    ]  # fmt: skip
    frames = selectors.resume_frames(room=room, viewer_id=member.pk, last_seq=0)
    assert [f["message"]["badge"] for f in frames if f["type"] == "message.created"] == [
        None, FACILITATOR, MODERATOR,
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_facilitator_of_another_group_has_no_badge_here(member, group, room):
    elsewhere = MembershipFactory(role="facilitator").user
    MembershipFactory(group=group, user=elsewhere)
    send_message(elsewhere, room, "hello")
    assert payloads.message_dict(Message.objects.get())["badge"] is None
    page = selectors.message_page(room=room, viewer_id=member.pk)
    assert payloads.message_view(page.messages[0], member.pk)["badge"] is None


@pytest.mark.django_db
def test_a_name_that_looks_like_a_role_gets_no_badge(member, room):
    member.display_name = "Jo (facilitator)"  # an old name, from before names were checked
    member.save()
    send_message(member, room, "hello")
    assert payloads.message_dict(Message.objects.get())["badge"] is None


@pytest.mark.django_db
def test_the_room_page_shows_the_badge_from_the_server(client, member, facilitator, group, room):
    send_message(member, room, "from a member")
    send_message(facilitator, room, "from the facilitator")
    client.force_login(member)
    html = client.get(room_url(group)).content.decode()
    items = html.split('<li class="msg')
    mine = next(i for i in items if "from a member" in i)
    theirs = next(i for i in items if "from the facilitator" in i)
    assert "msg__role" not in mine
    assert '<span class="badge msg__role msg__role--facilitator">Facilitator</span>' in theirs


@pytest.mark.django_db(transaction=True)
async def test_live_frames_carry_the_badge(member, facilitator, group, make_client):
    listener, speaker = make_client(member, group), make_client(facilitator, group)
    await listener.connect()
    await speaker.connect()
    await speaker.message("Welcome, everyone")
    created = (await listener.until("message.created"))[-1]
    assert created["message"]["badge"] == FACILITATOR
    await speaker.until("message.created")  # its own
    await listener.message("Thank you")
    created = (await speaker.until("message.created"))[-1]
    assert created["message"]["author"]["id"] == member.pk
    assert created["message"]["badge"] is None
    await listener.close()
    await speaker.close()


@pytest.mark.django_db
def test_the_badge_follows_the_role(member, facilitator, group, room):
    MembershipFactory(group=group, role="facilitator")  # so a facilitator remains
    message = send_message(member, room, "hello")
    groups_services.membership_make_facilitator(
        membership=member.memberships.get(group=group), actor=facilitator
    )
    page = selectors.message_page(room=room, viewer_id=member.pk)
    assert payloads.message_view(page.messages[0], member.pk)["badge"] == FACILITATOR
    groups_services.membership_step_down(user=member, group=group)
    page = selectors.message_page(room=room, viewer_id=member.pk)
    assert payloads.message_view(page.messages[0], member.pk)["badge"] is None
    assert message.pk == page.messages[0].pk

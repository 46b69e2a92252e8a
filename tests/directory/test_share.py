"""Sharing a service into a group's chat as a card, through the chat's own send path."""

import pytest
from django.urls import reverse

from chat.models import Message
from groups.models import Membership
from tests.factories import GroupFactory, MembershipFactory

from .conftest import make_service

pytestmark = pytest.mark.django_db


def test_a_member_shares_a_service_card_into_their_group_chat(client):
    group = GroupFactory()
    member = MembershipFactory(group=group).user
    service = make_service("Stourbridge Food Bank", byday="TU,TH", opens="10:00",
                           closes="13:00", phone="01384 000102")
    client.force_login(member)
    page = client.get(reverse("directory:service", args=[service.uuid])).content.decode()
    assert "Share this in a group chat" in page
    cid = "6b1d8a4e-2f7c-4a51-9e0b-1c2d3e4f5a6b"
    url = reverse("share_service", args=[service.uuid])
    response = client.post(url, {"group": group.slug, "client_id": cid})
    assert response.status_code == 302 and "#m-" in response["Location"]
    message = Message.objects.get()
    assert message.author == member
    assert message.body.splitlines() == [
        "📌 Stourbridge Food Bank",
        "🕘 Tue, Thu 10:00–13:00",
        "📞 01384 000102",
        f"http://localhost:8000/help/services/{service.uuid}/",
    ]
    page_path = f"/help/services/{service.uuid}/"
    assert message.card == {
        "uuid": str(service.uuid), "name": "Stourbridge Food Bank",
        "times": ["Tue, Thu 10:00–13:00"], "phone": "01384 000102", "tel": "01384000102",
        "path": page_path,
    }  # fmt: skip
    # The no-JS room shows it as a card: its page, and the phone to tap.
    room = client.get(reverse("chat:room", kwargs={"slug": group.slug})).content.decode()
    card = room[room.index('class="msg__body service-card"'):]
    card = card[: card.index("</div>")]
    assert f'<a href="{page_path}">Stourbridge Food Bank</a>' in card
    assert "Tue, Thu 10:00–13:00" in card
    assert 'href="tel:01384000102"' in card and "Call 01384 000102" in card
    # A double tap (same client id) is one message.
    client.post(url, {"group": group.slug, "client_id": cid})
    assert Message.objects.count() == 1
    # A facilitator pins it: one of "our useful contacts" at the top of the room.
    jo = MembershipFactory(group=group, role=Membership.Role.FACILITATOR).user
    client.force_login(jo)
    client.post(reverse("chat:room", kwargs={"slug": group.slug}),
                {"action": "pin", "message_id": message.pk})
    message.refresh_from_db()
    assert message.pinned_at is not None and message.pinned_by == jo


def test_sharing_follows_the_chat_rules(client):
    group, other = GroupFactory(), GroupFactory()
    member = MembershipFactory(group=group).user
    service = make_service("Hub")
    client.force_login(member)
    # Not a member of that group: the same 404 as for a group that does not exist.
    assert client.post(reverse("share_service", args=[service.uuid]),
                       {"group": other.slug}).status_code in (403, 404)
    assert not Message.objects.exists()


def test_only_the_share_page_makes_cards_and_an_edit_turns_one_back_into_text(client):
    from chat import commands, services
    from groups.permissions import Action, access_group

    group = GroupFactory()
    member = MembershipFactory(group=group).user
    room = services.room_for_group(group.pk)
    access = access_group(member, slug=group.slug, action=Action.READ_CHAT)
    # A frame that says it is a card is only text: a client cannot make a "service".
    forged = {"type": "send", "body": "Call us!", "reply_to": None, "confirmed": True,
              "client_id": "0b1d8a4e-2f7c-4a51-9e0b-1c2d3e4f5a6b",
              "card": {"name": "Fake helpline", "phone": "0900", "tel": "0900", "path": "/"}}
    sent = commands.run(member, access, room, forged)
    assert sent.message.card is None

    service = make_service("Family Hub")
    client.force_login(member)
    client.post(reverse("share_service", args=[service.uuid]), {"group": group.slug})
    shared = Message.objects.exclude(pk=sent.message.pk).get()
    assert shared.card["name"] == "Family Hub"
    services.message_edit(user=member, room=room, message_id=shared.pk, body="Family Hub is great")
    shared.refresh_from_db()
    assert shared.card is None and shared.body == "Family Hub is great"

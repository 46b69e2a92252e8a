"""The no-JS form's "Send anyway?" page for personal details."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import User
from chat.models import Message, RoomEvent
from groups.models import Group
from tests.conftest import SENTINEL

from .conftest import room_url as url
from .test_private_details import PHONE, WITH_PHONE, _stored_anywhere

pytestmark = pytest.mark.django_db


def _post(client, group, body, **extra):
    data = {"action": "send", "body": body, "client_id": str(uuid.uuid4()), **extra}
    return client.post(url(group), data)


def test_the_form_asks_first_and_keeps_the_text(client, member, group):
    client.force_login(member)
    r = _post(client, group, WITH_PHONE)
    html = r.content.decode()
    assert r.status_code == 200
    assert "This message includes a phone number. Everyone in the group will see it." in html
    assert "Send anyway" in html and "Edit" in html
    assert f'name="body" value="{SENTINEL}: ring me on {PHONE} tonight"' in html
    assert 'name="dont_ask" value="phone"' in html
    assert Message.objects.count() == 0 and RoomEvent.objects.count() == 0
    assert _stored_anywhere(PHONE) == []


def test_send_anyway_sends_it(client, member, group):
    client.force_login(member)
    cid = str(uuid.uuid4())
    r = _post(client, group, WITH_PHONE, client_id=cid, private="send")
    assert r.status_code == 302
    m = Message.objects.get()
    assert m.body == WITH_PHONE and str(m.client_id) == cid
    assert User.objects.get(pk=member.pk).private_details_skip == []


def test_send_anyway_and_dont_ask_again(client, member, group):
    client.force_login(member)
    r = _post(client, group, WITH_PHONE, private="send", dont_ask="phone")
    assert r.status_code == 302
    assert User.objects.get(pk=member.pk).private_details_skip == ["phone"]
    assert _post(client, group, f"again {PHONE}").status_code == 302
    assert Message.objects.count() == 2


def test_edit_goes_back_to_the_box_with_the_text(client, member, group):
    client.force_login(member)
    r = _post(client, group, WITH_PHONE, private="edit")
    html = r.content.decode()
    assert r.status_code == 200
    assert f">{SENTINEL}: ring me on {PHONE} tonight</textarea>" in html
    assert "data-private-question" not in html
    assert Message.objects.count() == 0


def test_turned_off_for_the_group(client, member, group):
    Group.objects.filter(pk=group.pk).update(private_details_check=False)
    client.force_login(member)
    assert _post(client, group, WITH_PHONE).status_code == 302
    assert Message.objects.count() == 1


def test_a_facilitator_turns_it_off_on_the_group_form(client, facilitator, group):
    from django.urls import reverse

    client.force_login(facilitator)
    page = client.get(reverse("groups:edit", args=[group.slug])).content.decode()
    assert 'name="private_details_check"' in page and "checked" in page
    data = {
        "name": group.name, "meeting_mode": group.meeting_mode, "visibility": group.visibility,
        "join_policy": group.join_policy, "time_zone": group.time_zone,
    }  # fmt: skip
    r = client.post(reverse("groups:edit", args=[group.slug]), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Group.objects.get(pk=group.pk).private_details_check is False

"""The room page and its no-JavaScript forms (same services as the websocket)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import services
from chat.models import Message, ReadMarker
from groups.models import Membership
from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.htmlrefs import VALID_DATETIME

from .conftest import room_url as url
from .conftest import send_message as send

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_log_in(client, group):
    r = client.get(url(group))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_non_member_gets_no_messages(client, user, group, member, room):
    send(member, room, "secret family stuff")
    client.force_login(user)
    r = client.get(url(group))
    assert r.status_code in (403, 404)
    assert b"secret family stuff" not in r.content


def test_room_shows_latest_messages_and_marks_read(client, member, group, room):
    other = MembershipFactory(group=group).user
    for i in range(3):
        send(other, room, f"hello {i}")
    client.force_login(member)
    r = client.get(url(group))
    html = r.content.decode()
    assert r.status_code == 200
    assert "hello 0" in html and "hello 2" in html
    assert "New messages" in html
    assert ReadMarker.objects.get(user=member, room=room).last_read_seq == 3
    r = client.get(url(group))
    assert "New messages" not in r.content.decode()


def test_divider_sits_before_first_unread(client, member, group, room):
    other = MembershipFactory(group=group).user
    send(other, room, "old one")
    services.room_mark_read(user=member, room=room, seq=1)
    m2 = send(other, room, "new one")
    client.force_login(member)
    html = client.get(url(group)).content.decode()
    assert html.index("data-chat-divider") < html.index(f'id="m-{m2.pk}"')
    assert html.index("old one") < html.index("data-chat-divider")


def test_history_paging_with_before(client, member, group, room, settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_PAGE_SIZE": 5}
    msgs = [send(member, room, f"message number {i}") for i in range(12)]
    client.force_login(member)
    html = client.get(url(group)).content.decode()
    assert "message number 11" in html and "message number 6" not in html
    assert f"?before={msgs[7].pk}" in html
    html = client.get(url(group, before=msgs[7].pk)).content.decode()
    assert "message number 6" in html and "message number 2" in html
    assert "message number 7" not in html and "message number 1<" not in html


def test_no_js_send_uses_the_service_and_redirects(client, member, group, room):
    client.force_login(member)
    cid = str(uuid.uuid4())
    r = client.post(url(group), {"action": "send", "body": "from a form", "client_id": cid})
    m = Message.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"#m-{m.pk}")
    assert m.body == "from a form" and str(m.client_id) == cid and m.seq == 1
    # pressing Send twice (same client id) stores one message
    client.post(url(group), {"action": "send", "body": "from a form", "client_id": cid})
    assert Message.objects.count() == 1


def test_failed_send_keeps_the_typed_text(client, member, group, room):
    client.force_login(member)
    long = "I typed a lot " * 400
    r = client.post(url(group), {"action": "send", "body": long, "client_id": str(uuid.uuid4())})
    assert r.status_code == 400
    html = r.content.decode()
    assert "I typed a lot I typed a lot" in html
    assert "4000" in html
    assert Message.objects.count() == 0


def test_muted_member_sees_when_they_can_post(client, member, group, room):
    Membership.objects.filter(user=member).update(muted_until=timezone.now() + timedelta(hours=1))
    client.force_login(member)
    html = client.get(url(group)).content.decode()
    assert "You can post again after" in html
    assert "data-chat-composer" not in html
    r = client.post(url(group), {"action": "send", "body": "hi", "client_id": str(uuid.uuid4())})
    assert "You can post again after" in r.content.decode()
    assert Message.objects.count() == 0


def test_no_js_reply_react_edit_delete_pin(client, member, facilitator, group, room):
    client.force_login(member)
    first = send(facilitator, room, "pin me")
    r = client.post(
        url(group),
        {"action": "send", "body": "a reply", "client_id": str(uuid.uuid4()), "reply_to": first.pk},
    )
    reply = Message.objects.get(body="a reply")
    assert reply.reply_to_id == first.pk
    client.post(url(group), {"action": "react", "message_id": first.pk, "emoji": "hug"})
    assert first.reactions.get().user_id == member.pk
    html = client.get(url(group, edit=reply.pk)).content.decode()
    assert 'name="action" value="edit"' in html
    client.post(url(group), {"action": "edit", "message_id": reply.pk, "body": "a better reply"})
    reply.refresh_from_db()
    assert reply.body == "a better reply" and reply.edited_at
    client.post(url(group), {"action": "delete", "message_id": reply.pk, "confirm": "yes"})
    reply.refresh_from_db()
    assert reply.deleted_at
    html = client.get(url(group)).content.decode()
    assert "a better reply" not in html and "message deleted" in html
    # members can't pin
    r = client.post(url(group), {"action": "pin", "message_id": first.pk})
    assert r.status_code == 400
    first.refresh_from_db()
    assert first.pinned_at is None
    client.force_login(facilitator)
    client.post(url(group), {"action": "pin", "message_id": first.pk})
    first.refresh_from_db()
    assert first.pinned_at
    html = client.get(url(group)).content.decode()
    assert "data-chat-pinned" in html


def test_cannot_touch_another_groups_message_through_the_form(client, member, group, room):
    g2 = GroupFactory()
    outsider = MembershipFactory(group=g2).user
    m = send(outsider, services.room_for_group(g2.pk), "theirs")
    client.force_login(member)
    for data in (
        {"action": "react", "message_id": m.pk, "emoji": "heart"},
        {"action": "delete", "message_id": m.pk},
        {"action": "send", "body": "x", "client_id": str(uuid.uuid4()), "reply_to": m.pk},
    ):
        r = client.post(url(group), data)
        assert r.status_code == 400
    assert m.reactions.count() == 0
    assert Message.objects.filter(room__group=group).count() == 0


def test_report_link_only_when_moderation_provides_it(client, member, group, room):
    other = MembershipFactory(group=group).user
    send(other, room, "hello")
    client.force_login(member)
    r = client.get(url(group))
    assert r.status_code == 200  # renders whether or not moderation:report_message exists


def test_support_param_shows_the_support_panel(client, member, group, room):
    client.force_login(member)
    html = client.get(url(group, support=1)).content.decode()
    assert "You don't have to carry this alone" in html


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_room_page_query_count_is_constant(
    client, member, facilitator, group, room, django_assert_num_queries
):
    others = [MembershipFactory(group=group).user for _ in range(3)]
    client.force_login(member)

    def fill(n):
        for i in range(n):
            author = others[i % 3]
            m = send(author, room, f"m{i}", reply_to_id=None)
            if i % 4 == 0:
                services.reaction_toggle(user=member, room=room, message_id=m.pk, emoji="heart")
            if i % 7 == 0:
                send(author, room, f"re{i}", reply_to_id=m.pk)
        services.message_pin(user=facilitator, room=room, message_id=m.pk)

    fill(10)
    client.get(url(group))  # first visit creates the read marker
    fill(2)
    small = _count_queries(client, url(group))
    assert small <= 20
    fill(200)
    with django_assert_num_queries(small):
        assert client.get(url(group)).status_code == 200


def test_unread_counts(member, group, room):
    from chat.selectors import unread_counts

    other = MembershipFactory(group=group).user
    g2 = GroupFactory()
    MembershipFactory(group=g2, user=member)
    r2 = services.room_for_group(g2.pk)
    send(other, room, "a")
    send(other, room, "b")
    send(member, room, "mine doesn't count")
    m = send(other, room, "deleted doesn't count")
    services.message_delete(user=other, room=room, message_id=m.pk)
    assert unread_counts(user=member, group_ids=[group.pk, g2.pk]) == {group.pk: 2, g2.pk: 0}
    services.room_mark_read(user=member, room=room, seq=1)
    assert unread_counts(user=member, group_ids=[group.pk]) == {group.pk: 1}
    assert r2.pk


def test_linkify_is_safe():
    from chat.templatetags.chat_tags import linkify

    out = linkify("see https://example.org/a?b=1&c=2). and javascript:alert(1) <b>x</b>")
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener nofollow ugc"' in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert 'href="javascript' not in out
    assert re.search(r"</a>\)\.", out)
    assert UserFactory


def test_room_page_has_valid_times_and_no_empty_form_actions(
    client, member, facilitator, group, room
):
    send(member, room, "mine, so I can delete it")
    send(facilitator, room, "pin me")
    for who in (member, facilitator):
        client.force_login(who)
        html = client.get(url(group)).content.decode()
        assert 'data-chat-form="pin"' in html or who == member
        assert 'data-chat-form="delete"' in html and "data-chat-composer" in html
        assert 'action=""' not in html
        datetimes = re.findall(r'datetime="([^"]*)"', html)
        assert len(datetimes) >= 2
        assert all(VALID_DATETIME.fullmatch(d) for d in datetimes), datetimes


def test_a_facilitator_sets_slow_mode_without_javascript(client, facilitator, member, group, room):
    client.force_login(facilitator)
    page = client.get(url(group)).content.decode()
    assert "Facilitator tools" in page and 'name="action" value="slow_mode"' in page
    r = client.post(url(group), {"action": "slow_mode", "seconds": "30"})
    assert r.status_code == 302
    room.refresh_from_db()
    assert room.slow_mode_seconds == 30
    # Everyone sees it is on.
    client.force_login(member)
    page = client.get(url(group)).content.decode()
    assert "Slow mode is on: one message every 30 seconds." in page
    assert "Facilitator tools" not in page


def test_a_member_cannot_set_slow_mode(client, member, group, room):
    client.force_login(member)
    r = client.post(url(group), {"action": "slow_mode", "seconds": "300"})
    assert r.status_code == 400
    assert "Only facilitators can change slow mode." in r.content.decode()
    room.refresh_from_db()
    assert room.slow_mode_seconds == 0


def test_the_group_settings_lead_to_slow_mode(client, facilitator, group):
    client.force_login(facilitator)
    page = client.get(f"/groups/{group.slug}/edit/").content.decode()
    assert f"/groups/{group.slug}/chat/?tools=1#tools" in page
    room_page = client.get(f"/groups/{group.slug}/chat/?tools=1").content.decode()
    assert '<details class="chat__tools card" id="tools" open>' in room_page

"""A message hidden pending review stays in its place as a placeholder ("Hidden while a
moderator looks at it") for members, on the page, in history and in resume frames; its author
still sees it, marked hidden; a removed message is gone; restoring brings it back in place.
The body, author name and reactions of a hidden message never reach other members."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import Message
from chat.selectors import resume_frames
from tests.factories import MembershipFactory, UserFactory

from .conftest import room_url as url
from .conftest import send_message as send

pytestmark = pytest.mark.django_db

PLACEHOLDER = "Hidden while a moderator looks at it"
SECRET = "my neighbour's address is 12 Elm Road"


@pytest.fixture
def author(group):
    return MembershipFactory(group=group, user=UserFactory(display_name="Zephyrine")).user


@pytest.fixture
def hidden(author, member, moderator, room):
    before = send(member, room, "good morning all")
    m = send(author, room, SECRET)
    services.reaction_toggle(user=member, room=room, message_id=m.pk, emoji="hug")
    reply = send(member, room, "please don't share that", reply_to_id=m.pk)
    services.message_set_state(message=m, state=Message.State.HIDDEN, actor=moderator)
    m.refresh_from_db()
    return {"message": m, "before": before, "reply": reply}


def _li(html: str, message_id: int) -> str:
    start = html.rindex("<li", 0, html.index(f'id="m-{message_id}"'))
    return html[start : html.index("</li>", start)]


def test_member_sees_a_placeholder_in_place_and_nothing_of_the_message(
    client, member, group, room, hidden
):
    client.force_login(member)
    html = client.get(url(group)).content.decode()
    m = hidden["message"]
    assert SECRET not in html and "Elm Road" not in html
    assert "Zephyrine" not in html  # who wrote it is not shown either
    li = _li(html, m.pk)
    assert PLACEHOLDER in li and "msg--placeholder" in li
    assert "reaction" not in li and "Report" not in li and "Reply" not in li
    # In its place: after the message before it, before the reply.
    assert html.index(f'id="m-{hidden["before"].pk}"') < html.index(f'id="m-{m.pk}"')
    assert html.index(f'id="m-{m.pk}"') < html.index(f'id="m-{hidden["reply"].pk}"')
    # The reply's quote says why it is empty.
    reply_li = _li(html, hidden["reply"].pk)
    assert "Replying to a message hidden while a moderator looks at it" in reply_li


def test_author_sees_their_own_message_marked_hidden(client, author, group, room, hidden):
    client.force_login(author)
    html = client.get(url(group)).content.decode()
    li = _li(html, hidden["message"].pk)
    assert SECRET.replace("'", "&#x27;") in li
    assert "Hidden for now" in li
    assert "Only you can see this message: it's hidden while a moderator looks at it" in li
    assert "msg--hidden" in li
    # No edit, reply, react or delete while a moderator decides.
    assert "data-chat-edit" not in li and "data-chat-reply" not in li and "msg__more" not in li


def test_cannot_reply_to_or_edit_a_hidden_message_through_the_page(
    client, author, member, group, room, hidden
):
    m = hidden["message"]
    client.force_login(member)
    html = client.get(url(group, reply=m.pk)).content.decode()
    assert SECRET not in html and "Zephyrine" not in html
    client.force_login(author)
    html = client.get(url(group, edit=m.pk)).content.decode()
    assert 'class="msg__edit"' not in html


def test_removed_message_is_gone_and_restore_brings_it_back(
    client, member, moderator, group, room, hidden
):
    m = hidden["message"]
    services.message_set_state(message=m, state=Message.State.REMOVED, actor=moderator)
    client.force_login(member)
    html = client.get(url(group)).content.decode()
    assert f'id="m-{m.pk}"' not in html and SECRET not in html and PLACEHOLDER not in html
    assert "Replying to a message that is no longer here" in _li(html, hidden["reply"].pk)
    services.message_set_state(message=m, state=Message.State.VISIBLE, actor=moderator)
    html = client.get(url(group)).content.decode()
    li = _li(html, m.pk)
    assert SECRET.replace("'", "&#x27;") in li and "Zephyrine" in li and PLACEHOLDER not in li
    assert html.index(f'id="m-{hidden["before"].pk}"') < html.index(f'id="m-{m.pk}"')


def test_resume_and_reset_frames_carry_only_the_placeholder(member, author, room, hidden, settings):
    m = hidden["message"]
    frames = resume_frames(room=room, viewer_id=member.pk, last_seq=0)
    text = json.dumps(frames)
    assert SECRET not in text and "Zephyrine" not in text
    created = next(
        f for f in frames if f["type"] == "message.created" and f["message"]["id"] == m.pk
    )
    assert created["message"]["state"] == "hidden"
    assert created["message"]["author"] is None and created["message"]["body"] == ""
    reaction = next(f for f in frames if f["type"] == "reaction.changed")
    assert reaction["reactions"] == {}
    quote = next(
        f["message"]["reply_to"]
        for f in frames
        if f["type"] == "message.created" and f["message"]["id"] == hidden["reply"].pk
    )
    assert quote == {"id": m.pk, "snippet": "", "author": None, "state": "hidden"}
    hide = next(f for f in frames if f["type"] == "message.hidden")
    assert hide["message_id"] == m.pk and hide["message"]["state"] == "hidden"

    # Its author gets their words back, marked hidden.
    mine = resume_frames(room=room, viewer_id=author.pk, last_seq=0)
    own = next(f for f in mine if f["type"] == "message.hidden")
    assert own["message"]["body"] == SECRET and own["message"]["state"] == "hidden"

    # Too far behind: the reset page has the placeholder too.
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RESUME_CAP": 1}
    (reset,) = resume_frames(room=room, viewer_id=member.pk, last_seq=0)
    assert reset["type"] == "reset"
    assert SECRET not in json.dumps(reset) and "Zephyrine" not in json.dumps(reset)
    assert [x["state"] for x in reset["messages"] if x["id"] == m.pk] == ["hidden"]


def test_room_page_query_count_is_constant_with_hidden_messages(
    client, member, moderator, group, room
):
    others = [MembershipFactory(group=group).user for _ in range(3)]
    client.force_login(member)

    def fill(n):
        for i in range(n):
            m = send(others[i % 3], room, f"m{i}")
            if i % 3 == 0:
                send(member, room, f"re{i}", reply_to_id=m.pk)
                services.message_set_state(message=m, state=Message.State.HIDDEN, actor=moderator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url(group))
        assert r.status_code == 200
        return len(ctx.captured_queries)

    fill(3)
    client.get(url(group))  # the first visit creates the read marker
    fill(3)
    small = count()
    fill(60)
    assert count() == small

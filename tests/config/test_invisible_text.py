"""Text that shows as nothing (only zero-width, joiner, BOM or bidi control characters: Unicode
category Cf) counts as empty wherever a member must write something."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts import services as accounts_services
from accounts.forms import ProfileForm, SignupForm
from chat.services import ChatError, clean_body, message_send, room_for_group
from config.text import is_blank
from groups import services as groups_services
from groups.services import GroupError
from meetups import services as meetups_services
from moderation import services as moderation_services
from moderation.services import ModerationError
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "\u200b",  # zero width space
    "\u2060\u2060",  # word joiner
    "\ufeff",  # byte order mark
    " \u200b \u200c\u200d ",  # with spaces and joiners
    "\u202e\u202c",  # right-to-left override, pop
    "\u2066\u2069\u200e\u200f\u061c",  # isolates and marks
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_is_blank_sees_through_format_characters(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["Jo", "\u200bJo", "👩\u200d👧", "مرحبا"])
def test_is_blank_keeps_real_text(text):
    assert not is_blank(text)


@pytest.mark.parametrize("text", INVISIBLE)
def test_chat_refuses_an_invisible_message(text):
    with pytest.raises(ChatError) as exc:
        clean_body(text)
    assert exc.value.code == "empty"


@pytest.mark.parametrize("text", INVISIBLE)
def test_display_names_must_show_something(user, text):
    secret = "a-long-passphrase"
    base = {"email": "new@example.com", "password1": secret, "password2": secret}
    signup = SignupForm(data={**base, "display_name": text})
    assert not signup.is_valid() and "display_name" in signup.errors
    profile = ProfileForm(data={"display_name": text, "about": "", "time_zone": "Europe/London"})
    assert not profile.is_valid() and "display_name" in profile.errors
    with pytest.raises(ValidationError) as exc:
        accounts_services.profile_update(
            user=user, display_name=text, about="", time_zone="Europe/London"
        )
    assert "display_name" in exc.value.message_dict


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_meetup_needs_a_visible_title(group, facilitator, text):
    with pytest.raises(ValidationError) as exc:
        meetups_services.one_off_create(
            group=group, by=facilitator, title=text, on=dt.date.today() + dt.timedelta(days=7),
            start_time=dt.time(19, 0), duration_minutes=60,
        )  # fmt: skip
    assert "title" in exc.value.message_dict


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_group_needs_a_visible_name(group, facilitator, text):
    with pytest.raises(GroupError) as exc:
        groups_services.group_create(name=text)
    assert exc.value.code == "no_name"
    with pytest.raises(GroupError) as exc:
        groups_services.group_update(group=group, actor=facilitator, name=text)
    assert exc.value.code == "no_name"


@pytest.mark.parametrize("text", INVISIBLE)
def test_join_questions_and_answers_need_visible_words(user, group, text):
    assert groups_services.clean_join_questions(["How old are your children?", text]) == [
        "How old are your children?"
    ]
    group.join_policy = "request"
    group.join_questions = ["How old are your children?"]
    group.save()
    with pytest.raises(GroupError) as exc:
        groups_services.membership_request(user=user, group=group, answers=[text])
    assert exc.value.code == "answers_missing"


@pytest.mark.parametrize("text", INVISIBLE)
def test_reports_concerns_and_complaints_need_visible_words(group, member, text):
    author = MembershipFactory(group=group).user
    message = message_send(
        user=author, room=room_for_group(group.pk), body="Hello", client_id=uuid.uuid4()
    ).message
    with pytest.raises(ModerationError) as exc:
        moderation_services.report_message(
            user=member, message_id=message.pk, reason="other", note=text
        )
    assert exc.value.code == "note_required"
    with pytest.raises(ModerationError) as exc:
        moderation_services.concern_raise(user=member, group_slug=group.slug, note=text)
    assert exc.value.code == "note_required"
    with pytest.raises(ModerationError) as exc:
        moderation_services.complaint_submit(user=member, about="service", text=text)
    assert exc.value.code == "text_required"

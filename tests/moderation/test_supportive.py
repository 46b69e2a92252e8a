"""Safeguarding items that support, not punish (issue 17): supportive actions first, private
case notes, passing to the safeguarding lead, closing as safe, and honest words about who
was told."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from accounts.services import account_delete, profile_export
from moderation import services
from moderation.models import AuditEntry, Case, CaseNote, CaseReferral, ModAction
from notifications.models import Kind, Notification
from tests.conftest import SENTINEL
from tests.factories import MembershipFactory, UserFactory

from .conftest import post

pytestmark = pytest.mark.django_db

THANKS = "Thank you for telling us. A moderator has looked at what you reported."
TOLD = "The member has been told"


@pytest.fixture
def concern(member, author, group, facilitator):
    return services.concern_raise(
        user=member, group_slug=group.slug, note="She said she can't cope", subject_id=author.pk
    )


@pytest.fixture
def lead(db):
    return UserFactory(is_moderator=True, is_safeguarding_lead=True)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- the queue offers support first -----------------------------------------------------------


def test_concern_offers_supportive_actions_before_the_others(client, moderator, concern):
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    item = page[page.index(f'id="case-{concern.pk}"') :]
    other = item.index("Other actions")
    for words in (
        "Record what we did",
        "Pass to the safeguarding lead",
        "Close: the person is safe / has support",
        "Mark as looked after",
    ):
        assert words in item and item.index(words) < other, words
    # The punitive actions are still there, under the disclosure, as plain form fields.
    assert item.index('<details class="mod-other">') < other
    for kind in ("warn", "mute", "remove", "suspend", "ban"):
        assert item.index(f'value="{kind}"') > other, kind


def test_crisis_item_offers_support_first_too(client, moderator, author, group):
    post(author, group, "I want to die")
    case = Case.objects.get(kind=Case.Kind.CRISIS)
    client.force_login(moderator)
    item = client.get("/moderation/").content.decode()
    item = item[item.index(f'id="case-{case.pk}"') :]
    assert item.index("Close: the person is safe / has support") < item.index("Other actions")
    assert item.index("Other actions") < item.index('value="hide"')


def test_a_reported_post_is_not_wrapped_in_other_actions(client, moderator, member, message):
    services.report_message(user=member, message_id=message.pk, reason="spam")
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert 'value="hide"' in page
    assert "Other actions" not in page and "Close: the person is safe" not in page


def test_reach_out_privately_opens_a_check_in_with_the_person(
    client, moderator, concern, author, group
):
    from chat.models import Room

    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    form = page[page.index('action="/checkins/start/"') :]
    form = form[: form.index("</form>")]
    assert "Reach out privately" in form
    assert f'name="member" value="{author.pk}"' in form
    assert f'name="group" value="{group.slug}"' in form
    assert f'name="case" value="{concern.pk}"' in form
    # Tapping it opens the private check-in with the person the concern is about.
    opened = client.post(
        "/checkins/start/", {"group": group.slug, "member": author.pk, "case": concern.pk}
    )
    room = Room.objects.checkins().get()
    assert room.member == author and room.group == group and room.started_by == moderator
    assert opened.status_code == 302 and f"/checkins/{room.pk}/" in opened["Location"]
    # The crisis message's author is the person to reach out to.
    sam = MembershipFactory(group=group).user
    post(sam, group, "I can't go on like this")
    crisis = Case.objects.get(kind=Case.Kind.CRISIS)
    page = client.get("/moderation/").content.decode()
    item = page[page.index(f'id="case-{crisis.pk}"') :]
    assert f'name="member" value="{sam.pk}"' in item.split('<li class="card mod-item')[0]


# --- who may do what ------------------------------------------------------------------------

ROLES = ["member", "facilitator", "other_facilitator", "moderator", "staff"]
#                    member facilitator other_fac moderator staff
EXPECTED = {
    "view_case": (False, True, False, True, True),
    "add_note": (False, True, False, True, True),
    "pass_to_lead": (False, True, False, True, True),
    "close_safe": (False, True, False, True, True),
}


@pytest.mark.parametrize(
    ("action", "role", "allowed"),
    [(a, r, ok[i]) for a, ok in EXPECTED.items() for i, r in enumerate(ROLES)],
)
def test_permission_matrix(client, group, concern, lead, action, role, allowed):
    actor = {
        "member": lambda: MembershipFactory(group=group).user,
        "facilitator": lambda: MembershipFactory(group=group, role="facilitator").user,
        "other_facilitator": lambda: MembershipFactory(role="facilitator").user,
        "moderator": lambda: UserFactory(is_moderator=True),
        "staff": lambda: UserFactory(is_staff=True),
    }[role]()
    client.force_login(actor)
    url = f"/moderation/case/{concern.pk}/"
    if action == "view_case":
        response = client.get(url)
        assert response.status_code == (200 if allowed else 404)
        happened = "She said she can&#x27;t cope" in response.content.decode()
    elif action == "add_note":
        client.post(url + "note/", {"body": "Rang her, she is with her sister"})
        happened = CaseNote.objects.filter(case=concern, author=actor).exists()
    elif action == "pass_to_lead":
        client.post(url + "lead/")
        happened = CaseReferral.objects.filter(case=concern, passed_by=actor).exists()
    else:
        client.post(url + "act/", {"kind": "safe"})
        concern.refresh_from_db()
        happened = concern.status == Case.Status.HANDLED
    assert happened == allowed


# --- private notes --------------------------------------------------------------------------


def test_notes_build_a_private_timeline(client, moderator, facilitator, concern, author):
    client.force_login(moderator)
    response = client.post(
        f"/moderation/case/{concern.pk}/note/", {"body": f"Rang her. {SENTINEL}"}, follow=True
    )
    assert response.status_code == 200
    client.force_login(facilitator)
    client.post(f"/moderation/case/{concern.pk}/note/", {"body": "Saw her at the meetup, ok"})
    page = client.get(f"/moderation/case/{concern.pk}/").content.decode()
    assert page.index(SENTINEL) < page.index("Saw her at the meetup, ok")
    assert moderator.display_name in page and facilitator.display_name in page
    assert moderator.email not in page and author.email not in page
    # The queue says there are notes, without showing them.
    queue = client.get("/moderation/").content.decode()
    assert "2 private notes" in queue and SENTINEL not in queue
    # Never in a notification, an email or the audit log; and the author is not told.
    assert not Notification.objects.filter(body__contains=SENTINEL).exists()
    assert not Notification.objects.filter(title__contains=SENTINEL).exists()
    assert not any(SENTINEL in m.body for m in mail.outbox)
    entries = AuditEntry.objects.filter(event="case_note", case_id_ref=concern.pk)
    assert entries.count() == 2
    assert not any(SENTINEL in json.dumps(e.data) + e.reason for e in entries)
    assert not Notification.objects.filter(user=author).exists()
    # The case stays open: a note is not a decision.
    concern.refresh_from_db()
    assert concern.is_open and concern.first_action_at is not None


def test_a_blank_or_long_note_is_refused_kindly_and_keeps_the_words(client, moderator, concern):
    client.force_login(moderator)
    url = f"/moderation/case/{concern.pk}/note/"
    response = client.post(url, {"body": "   "})
    assert response.status_code == 400
    assert "Please write a few words about what you did." in response.content.decode()
    long = "word " * 500
    response = client.post(url, {"body": long})
    assert response.status_code == 400
    assert long.strip() in response.content.decode()
    assert not CaseNote.objects.exists()


def test_notes_are_kept_when_their_author_deletes_their_account(client, moderator, concern):
    services.case_note_add(actor=moderator, case_id=concern.pk, body="Checked in by phone")
    leaving = UserFactory(is_moderator=True)
    services.case_note_add(actor=leaving, case_id=concern.pk, body="Passed on a leaflet")
    account_delete(user=leaving, password="village-test")
    note = CaseNote.objects.get(body="Passed on a leaflet")
    assert note.author is None
    client.force_login(moderator)
    page = client.get(f"/moderation/case/{concern.pk}/").content.decode()
    assert "Passed on a leaflet" in page and "a former moderator" in page


def test_notes_are_not_in_the_members_data_export(moderator, concern, author):
    services.case_note_add(actor=moderator, case_id=concern.pk, body=f"About her {SENTINEL}")
    services.case_act(actor=moderator, case_id=concern.pk, kind="safe", reason="")
    exported = json.dumps(profile_export(author), default=str)
    assert SENTINEL not in exported
    assert '"safe"' not in exported


# --- the safeguarding lead ----------------------------------------------------------------


def test_passing_to_the_lead_tells_them_and_shows_since_when(
    client, moderator, concern, lead, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/moderation/case/{concern.pk}/lead/", follow=True)
    assert "Passed to the safeguarding lead" in _messages(response)
    referral = CaseReferral.objects.get(case=concern)
    assert referral.passed_by == moderator
    page = response.content.decode()
    assert "With the safeguarding lead since" in page
    alert = Notification.objects.get(user=lead, kind=Kind.SAFEGUARDING)
    assert alert.url == f"/moderation/case/{concern.pk}/"
    sent = [m for m in mail.outbox if lead.email in m.to]
    assert len(sent) == 1
    assert "can't cope" not in sent[0].body and "can't cope" not in alert.body
    # Once only.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/moderation/case/{concern.pk}/lead/", follow=True)
    assert "already with the safeguarding lead" in _messages(response)
    assert Notification.objects.filter(user=lead, kind=Kind.SAFEGUARDING).count() == 1
    # The queue shows it too.
    assert "With the safeguarding lead since" in client.get("/moderation/").content.decode()


def test_no_lead_set_up_says_so_and_changes_nothing(client, moderator, concern):
    UserFactory(is_safeguarding_lead=True)  # not a moderator or staff: could not open it
    client.force_login(moderator)
    response = client.post(f"/moderation/case/{concern.pk}/lead/", follow=True)
    assert "no safeguarding lead set up yet" in _messages(response)
    assert not CaseReferral.objects.exists()


# --- closing, and who is told ---------------------------------------------------------------


def test_close_as_safe_records_the_outcome_and_tells_only_the_reporter(
    client, moderator, concern, member, author, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/moderation/case/{concern.pk}/act/",
            {"kind": "safe", "note": "Her sister is staying with her"},
            follow=True,
        )
    words = _messages(response)
    assert TOLD not in words and "has not been told" in words
    concern.refresh_from_db()
    assert concern.status == Case.Status.HANDLED and concern.handled_by == moderator
    assert concern.first_action_at is not None
    action = ModAction.objects.get(case=concern)
    assert action.kind == "safe" and action.reason == ""
    assert CaseNote.objects.get(case=concern).body == "Her sister is staying with her"
    assert not Notification.objects.filter(user=author).exists()
    thanks = Notification.objects.filter(user=member, kind=Kind.MODERATION)
    assert [n.body for n in thanks] == [THANKS]
    assert "can't cope" not in thanks[0].title + thanks[0].body
    # Not a decision about the person: not in their decisions page.
    client.force_login(author)
    assert "the person is safe" not in client.get("/moderation/decisions/").content.decode()


def test_mark_as_looked_after_no_longer_claims_the_member_was_told(
    client, moderator, concern, member, author
):
    client.force_login(moderator)
    response = client.post(
        f"/moderation/case/{concern.pk}/act/", {"kind": "acknowledge"}, follow=True
    )
    words = _messages(response)
    assert TOLD not in words
    assert "has not been told" in words and "thanked" in words
    assert not Notification.objects.filter(user=author).exists()
    # The reporter is told once per item: a second try changes nothing.
    response = client.post(f"/moderation/case/{concern.pk}/act/", {"kind": "safe"}, follow=True)
    assert "already handled" in _messages(response)
    assert Notification.objects.filter(user=member, body=THANKS).count() == 1


def test_reporters_of_a_post_are_thanked_once_each(
    client, moderator, member, make_member, message, author
):
    second = make_member()
    services.report_message(user=member, message_id=message.pk, reason="spam")
    case = services.report_message(user=second, message_id=message.pk, reason="unkind").case
    client.force_login(moderator)
    response = client.post(
        f"/moderation/case/{case.pk}/act/", {"kind": "hide", "reason": "Selling"}, follow=True
    )
    words = _messages(response)
    assert TOLD in words and "thanked" in words
    for reporter in (member, second):
        assert Notification.objects.filter(user=reporter, body=THANKS).count() == 1
    assert not Notification.objects.filter(user=author, body=THANKS).exists()


def test_dismissing_says_the_member_was_not_told(client, moderator, member, message, author):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    client.force_login(moderator)
    response = client.post(
        f"/moderation/case/{case.pk}/act/", {"kind": "dismiss", "reason": "Fine"}, follow=True
    )
    words = _messages(response)
    assert TOLD not in words and "has not been told" in words
    assert Notification.objects.filter(user=member, body=THANKS).count() == 1

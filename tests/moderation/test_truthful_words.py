"""Words that tell members and moderators what actually happened, counted properly (issue 17)."""

from __future__ import annotations

import pytest

from moderation import services
from notifications.models import Notification

from .conftest import post

pytestmark = pytest.mark.django_db

SUCCESS = "Your appeal was successful: the decision has been reversed."
STANDS = "We looked again and the decision stands."


def _appeal(moderator, member, message, author):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    action = services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="Selling")
    appeal = services.appeal_submit(user=author, action_id=action.pk, text="It was free")
    return action, appeal


@pytest.mark.parametrize(("decision", "told", "not_told"), [
    ("reversed", SUCCESS, STANDS),
    ("upheld", STANDS, SUCCESS),
])  # fmt: skip
def test_appeal_outcome_says_what_happened(
    client, moderator, moderator2, member, message, author, decision, told, not_told
):
    action, appeal = _appeal(moderator, member, message, author)
    services.appeal_decide(actor=moderator2, appeal_id=appeal.pk, decision=decision, reason="ok")
    titles = list(
        Notification.objects.filter(user=author, url__endswith=f"/{action.pk}/").values_list(
            "title", flat=True
        )
    )
    assert told in titles
    assert not any("upheld" in t.lower() for t in titles)
    client.force_login(author)
    page = client.get(f"/moderation/decisions/{action.pk}/").content.decode()
    assert told in page and not_told not in page


def test_auto_hidden_message_is_not_labelled_as_a_moderators_doing(
    client, moderator, facilitator, author, group
):
    message = post(author, group, "Something a facilitator reports")
    services.report_message(user=facilitator, message_id=message.pk, reason="unkind")
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert "Hidden automatically while a moderator looks at it" in page
    assert "Hidden by a moderator" not in page
    # The live queue refetches the same partial.
    partial = client.get("/moderation/?partial=1").content.decode()
    assert "Hidden automatically while a moderator looks at it" in partial


def test_message_a_moderator_hid_says_so_when_reported_again(
    client, moderator, member, make_member, author, group
):
    message = post(author, group, "Hidden by hand")
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="Selling")
    services.report_message(user=make_member(), message_id=message.pk, reason="unkind")
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert "Hidden by a moderator" in page
    assert "Hidden automatically" not in page


def test_message_held_by_the_watch_list_says_it_was_automatic(client, moderator, author, group):
    services.watch_term_add(actor=moderator, term="cheap pills", action="hold")
    post(author, group, "Buy cheap pills here")
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert "Held automatically while a moderator looks at it" in page
    assert "by a moderator" not in page


@pytest.mark.parametrize(("handled", "words"), [
    (1, "(last 90 days, 1 item)"),
    (2, "(last 90 days, 2 items)"),
])  # fmt: skip
def test_figures_count_items_properly(client, staff, member, moderator, author, group, handled,
                                      words):  # fmt: skip
    for i in range(handled):
        message = post(author, group, f"reported {i}")
        case = services.report_message(user=member, message_id=message.pk, reason="spam").case
        services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="x")
    client.force_login(staff)
    page = client.get("/moderation/figures/").content.decode()
    assert words in page

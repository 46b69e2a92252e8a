"""The moderation pages: kind errors that change nothing, and constant query counts."""

from __future__ import annotations

import pytest

from moderation import services
from moderation.models import Appeal, Complaint, Report
from notifications.models import Notification

from .conftest import post

pytestmark = pytest.mark.django_db


def test_report_page_and_thanks(client, member, message, author):
    client.force_login(member)
    page = client.get(f"/moderation/report/{message.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Spam or advertising" in text and "never be told who reported" in text
    done = client.post(f"/moderation/report/{message.pk}/", {"reason": "spam", "note": ""})
    assert done.status_code == 200
    assert "Thank you for telling us" in done.content.decode()
    assert Report.objects.filter(reporter=member).count() == 1


def test_report_twice_shows_a_kind_error(client, member, message):
    client.force_login(member)
    client.post(f"/moderation/report/{message.pk}/", {"reason": "spam"})
    again = client.post(f"/moderation/report/{message.pk}/", {"reason": "unkind", "note": "x"})
    assert again.status_code == 400
    assert "already reported" in again.content.decode()
    assert Report.objects.count() == 1


def test_report_other_groups_message_is_a_kind_404(client, other_facilitator, message):
    client.force_login(other_facilitator)
    response = client.get(f"/moderation/report/{message.pk}/")
    assert response.status_code == 404
    assert "groups you belong to" in response.content.decode()
    assert client.post(f"/moderation/report/{message.pk}/", {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_report_something_else_keeps_the_choice(client, member, message):
    client.force_login(member)
    response = client.post(f"/moderation/report/{message.pk}/", {"reason": "other", "note": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert "tell us a little" in text
    assert 'value="other" required id="id_reason_6" checked' in text or "checked" in text


def test_queue_shows_reasons_notes_context_and_never_the_reporter(
    client, moderator, member, author, group
):
    before = post(author, group, "the message before")
    msg = post(author, group, "the reported one")
    services.report_message(user=member, message_id=msg.pk, reason="unkind", note="really mean")
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert "Unkind, bullying or harassment" in page
    assert "really mean" in page
    assert "the message before" in page and "the reported one" in page
    assert member.display_name not in page  # who reported is not shown
    assert member.email not in page and author.email not in page
    assert before.pk


def test_queue_urgent_first(client, moderator, member, author, group):
    a = post(author, group, "first")
    b = post(author, group, "second")
    services.report_message(user=member, message_id=a.pk, reason="spam")
    urgent = services.report_message(user=member, message_id=b.pk, reason="safeguarding").case
    client.force_login(moderator)
    page = client.get("/moderation/").content.decode()
    assert page.index(f'id="case-{urgent.pk}"') < page.index('id="case-', page.index("Urgent")) + 1


def test_action_without_reason_keeps_everything(client, moderator, member, message):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    client.force_login(moderator)
    response = client.post(
        f"/moderation/case/{case.pk}/act/", {"kind": "hide", "reason": ""}, follow=True
    )
    assert "Please write a short reason" in response.content.decode()
    message.refresh_from_db()
    assert message.state == "visible"


def test_facilitator_cannot_suspend_via_the_page(client, facilitator, member, message, author):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    client.force_login(facilitator)
    page = client.get("/moderation/").content.decode()
    assert 'value="hide"' in page and 'value="suspend"' not in page
    response = client.post(
        f"/moderation/case/{case.pk}/act/",
        {"kind": "suspend", "reason": "x", "duration": "7d"},
        follow=True,
    )
    assert "Only a site moderator" in response.content.decode()
    author.refresh_from_db()
    assert not author.is_suspended()


def test_queue_query_count_is_constant(client, moderator, make_member, author, group):
    client.force_login(moderator)
    reporter = make_member()

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/moderation/").status_code == 200
        return len(ctx)

    m = post(author, group, "one")
    services.report_message(user=reporter, message_id=m.pk, reason="spam")
    one = count()
    for i in range(4):
        m = post(author, group, f"more {i}")
        services.report_message(user=reporter, message_id=m.pk, reason="spam")
    assert count() == one


def test_appeal_flow_through_pages(client, moderator, moderator2, member, message, author):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    action = services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="Selling")
    client.force_login(author)
    page = client.get(f"/moderation/decisions/{action.pk}/").content.decode()
    assert "Selling" in page and "appeal once" in page
    empty = client.post(f"/moderation/decisions/{action.pk}/", {"text": ""})
    assert empty.status_code == 400 and not Appeal.objects.exists()
    client.post(f"/moderation/decisions/{action.pk}/", {"text": "I was giving it away free"})
    appeal = Appeal.objects.get()
    client.force_login(moderator)
    page = client.get(f"/moderation/appeals/{appeal.pk}/").content.decode()
    assert "a different moderator needs to decide" in page
    client.force_login(moderator2)
    assert f"/moderation/appeals/{appeal.pk}/" in client.get("/moderation/").content.decode()
    client.post(
        f"/moderation/appeals/{appeal.pk}/", {"decision": "reversed", "reason": "Free is fine"}
    )
    message.refresh_from_db()
    assert message.state == "visible"


def test_other_people_cannot_see_a_decision(client, moderator, member, message):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    action = services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="Selling")
    client.force_login(member)
    assert client.get(f"/moderation/decisions/{action.pk}/").status_code == 404


def test_concern_page(client, member, author, group, facilitator):
    client.force_login(member)
    page = client.get(f"/moderation/concern/{group.slug}/").content.decode()
    assert author.display_name in page and author.email not in page
    bad = client.post(f"/moderation/concern/{group.slug}/", {"note": ""})
    assert bad.status_code == 400
    ok = client.post(
        f"/moderation/concern/{group.slug}/", {"note": "She seems very low", "subject": author.pk}
    )
    assert "Thank you for caring" in ok.content.decode()
    assert Notification.objects.filter(user=facilitator, urgent=True).exists()


def test_concern_page_for_outsider_is_404(client, user, group):
    client.force_login(user)
    assert client.get(f"/moderation/concern/{group.slug}/").status_code == 404


def test_complaint_tracked_to_an_outcome(client, member, staff):
    client.force_login(member)
    bad = client.post("/moderation/complaint/", {"about": "service", "text": ""})
    assert bad.status_code == 200 and not Complaint.objects.exists()
    client.post("/moderation/complaint/", {"about": "decision", "text": "My post was hidden"})
    c = Complaint.objects.get()
    assert c.status == "received"
    client.force_login(staff)
    no_outcome = client.post(f"/moderation/complaints/{c.pk}/", {"status": "resolved"})
    assert "Please write the outcome" in no_outcome.content.decode()
    client.post(
        f"/moderation/complaints/{c.pk}/", {"status": "resolved", "outcome": "We restored it"}
    )
    c.refresh_from_db()
    assert c.status == "resolved" and c.closed_at
    client.force_login(member)
    assert "We restored it" in client.get("/moderation/complaint/mine/").content.decode()


def test_terms_and_support_are_public(client):
    assert "How to report" in client.get("/moderation/terms/", follow=True).content.decode()
    assert client.get("/moderation/support/").status_code == 200


def test_figures_for_staff(client, staff, member, message, moderator):
    case = services.report_message(user=member, message_id=message.pk, reason="spam").case
    services.case_act(actor=moderator, case_id=case.pk, kind="hide", reason="x")
    client.force_login(staff)
    page = client.get("/moderation/figures/").content.decode()
    assert "median time to first action" in page and "Spam or advertising" in page


def test_helpline_editing(client, staff):
    from moderation.models import Helpline

    line = Helpline.objects.get(name="NSPCC helpline")
    client.force_login(staff)
    data = {
        "name": line.name,
        "how": line.how,
        "href": line.href,
        "hours": "Monday to Friday 10am to 6pm",
        "about": line.about,
        "order": line.order,
        "active": "on",
    }
    client.post(f"/moderation/helplines/{line.pk}/", data)
    line.refresh_from_db()
    assert line.hours == "Monday to Friday 10am to 6pm"
    assert "10am to 6pm" in client.get("/moderation/support/?partial=1").content.decode()


def test_concern_chooser_lists_only_my_groups(client, member, group, other_group):
    from tests.factories import MembershipFactory

    second = MembershipFactory(user=member).group
    client.force_login(member)
    page = client.get("/moderation/concern/").content.decode()
    assert group.name in page and second.name in page and other_group.name not in page


def test_group_page_and_chat_room_link_to_a_concern(client, member, moderator, group):
    concern = f"/moderation/concern/{group.slug}/"
    client.force_login(member)
    for page in (f"/groups/{group.slug}/", f"/groups/{group.slug}/chat/"):
        html = client.get(page).content.decode()
        assert f'href="{concern}"' in html and "worried about someone in this group" in html
    # A site moderator reading a room they are not in is not offered it (it would be a 404).
    client.force_login(moderator)
    assert concern not in client.get(f"/groups/{group.slug}/chat/").content.decode()

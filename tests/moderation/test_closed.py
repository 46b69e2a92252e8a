"""Banned and suspended members can still appeal once in writing and complain (UK Online
Safety Act duty). A site ban closes the account (no log-in), so its owner gets a letter with a
personal link to one page where they can appeal and complain, and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from moderation import closed, services
from moderation.models import Appeal, Complaint

from .conftest import post

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"/moderation/closed/([^/\s]+)/")


@pytest.fixture
def banned(moderator, member, author, group, django_capture_on_commit_callbacks):
    msg = post(author, group, "buy cheap pills here")
    report = services.report_message(user=member, message_id=msg.pk, reason="spam")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action = services.case_act(
            actor=moderator,
            case_id=report.case_id,
            kind="ban",
            reason="Selling medicines again after a warning",
            site_wide=True,
        )
    author.refresh_from_db()
    assert not author.is_active
    return action


def _letter(author):
    """The closed account's letter (the reporter is thanked by email too)."""
    return next(m for m in reversed(mail.outbox) if m.to == [author.email])


def _link(message) -> str:
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(0)


def test_a_banned_member_gets_a_letter_with_their_link(banned, author):
    letters = [m for m in mail.outbox if m.to == [author.email]]
    assert len(letters) == 1
    letter = letters[0]
    assert "closed" in letter.subject
    assert "Selling medicines again after a warning" in letter.body
    assert "appeal" in letter.body and "complaint" in letter.body
    assert closed.user_for(_link(letter).split("/")[-2]) == author


def test_logging_in_to_a_banned_account_explains_how_to_appeal(client, banned, author):
    r = client.post(
        reverse("account_login"),
        {"login": author.email, "password": "village-test"},
        follow=True,
    )
    html = r.content.decode()
    assert "This account is closed" in html and "appeal" in html
    assert reverse("moderation:closed_resend") in html
    assert not r.wsgi_request.user.is_authenticated


def test_the_link_lets_them_appeal_once_and_complain(
    client, banned, author, moderator2, staff, django_capture_on_commit_callbacks
):
    link = _link(_letter(author))
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Selling medicines again after a warning" in html and "Send my appeal" in html

    # A bad appeal keeps nothing and says so kindly.
    bad = client.post(link, {"form": "appeal", "action_id": banned.pk})
    assert bad.status_code == 400 and "in your own words" in bad.content.decode()
    assert not Appeal.objects.exists()

    client.post(
        link,
        {"form": "appeal", "action_id": banned.pk, f"appeal{banned.pk}-text": "I was not selling"},
    )
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.action) == (author, banned)
    html = client.get(link).content.decode()
    assert "I was not selling" in html and "Send my appeal" not in html  # once only
    again = client.post(
        link, {"form": "appeal", "action_id": banned.pk, f"appeal{banned.pk}-text": "Again"}
    )
    assert again.status_code == 400 and Appeal.objects.count() == 1

    client.post(
        link,
        {"form": "complaint", "complaint-about": "decision", "complaint-text": "Unfair"},
    )
    complaint = Complaint.objects.get()
    assert complaint.complainant == author

    # Answers reach them by letter, and show on the page.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(
            actor=moderator2, appeal_id=appeal.pk, decision="upheld", reason="Seen the messages"
        )
        services.complaint_update(
            actor=staff, complaint_id=complaint.pk, status="not_upheld", outcome="Checked twice"
        )
    bodies = " ".join(m.body for m in mail.outbox if m.to == [author.email])
    assert "Seen the messages" in bodies and "Checked twice" in bodies
    html = client.get(link).content.decode()
    assert "Seen the messages" in html and "Checked twice" in html


def test_the_link_opens_nothing_else(client, banned, author, group):
    link = _link(_letter(author))
    client.get(link)
    assert "_auth_user_id" not in client.session
    chat = client.get(reverse("chat:room", kwargs={"slug": group.slug}))
    assert chat.status_code == 302 and "/accounts/login/" in chat["Location"]
    assert client.get("/moderation/decisions/").status_code == 302
    # A made-up or altered token, or one for an open account, is a kind 404.
    assert client.get("/moderation/closed/nonsense/").status_code == 404
    assert client.get(link.replace("/closed/", "/closed/x")).status_code == 404
    author.is_active = True
    author.save()
    assert client.get(link).status_code == 404


def test_resend_the_link_from_the_log_in_page(client, banned, author, member):
    url = reverse("moderation:closed_resend")
    mail.outbox.clear()
    r = client.post(url, {"email": author.email.upper()})
    assert r.status_code == 200 and "Check your email" in r.content.decode()
    assert [m.to for m in mail.outbox] == [[author.email]]
    client.post(url, {"email": author.email})  # not again straight away
    assert len(mail.outbox) == 1
    # The same answer for an open account or an unknown address, and no letter.
    for email in (member.email, "nobody@example.com"):
        r = client.post(url, {"email": email})
        assert "Check your email" in r.content.decode()
    assert len(mail.outbox) == 1


def test_a_suspended_member_can_log_in_and_appeal(client, moderator, member, author, group):
    msg = post(author, group, "you are all idiots")
    report = services.report_message(user=member, message_id=msg.pk, reason="unkind")
    action = services.case_act(
        actor=moderator,
        case_id=report.case_id,
        kind="suspend",
        reason="Insults",
        duration=timedelta(days=3),
    )
    assert client.login(email=author.email, password="village-test")
    page = client.get(reverse("moderation:decision", args=[action.pk]))
    assert page.status_code == 200 and "Send my appeal" in page.content.decode()
    client.post(reverse("moderation:decision", args=[action.pk]), {"text": "I was upset"})
    assert Appeal.objects.get().appellant == author
    client.post(reverse("moderation:complaint"), {"about": "decision", "text": "Too long"})
    assert Complaint.objects.get().complainant == author


def test_a_member_banned_from_one_group_can_log_in_and_appeal(
    client, moderator, member, author, group
):
    msg = post(author, group, "you are all idiots")
    report = services.report_message(user=member, message_id=msg.pk, reason="unkind")
    action = services.case_act(
        actor=moderator, case_id=report.case_id, kind="ban", reason="Repeated insults"
    )
    assert client.login(email=author.email, password="village-test")
    decisions = client.get(reverse("moderation:my_decisions")).content.decode()
    assert reverse("moderation:decision", args=[action.pk]) in decisions
    client.post(reverse("moderation:decision", args=[action.pk]), {"text": "Please reconsider"})
    assert Appeal.objects.get().appellant == author

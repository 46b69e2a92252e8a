"""In a real browser at phone size: a member reports a message, a moderator sees it arrive in
the live queue and hides it, a placeholder takes its place in the member's open room (and in
the quote of her reply) while its author still sees it marked hidden, the author appeals, and a
second moderator reverses the decision: the message is back in place. Screenshots and axe
checks along the way."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

SLUG = "brierley-hill-parents-circle"
PLACEHOLDER = "Hidden while a moderator looks at it"


def _second_moderator(server) -> str:
    email = f"moderator-{uuid.uuid4().hex[:6]}@example.com"
    server.shell(
        "from accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        f"u = User.objects.create_user({email!r}, 'village-demo', display_name='Morgan',"
        " is_moderator=True)\n"
        "EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
    )
    return email


def _room(page, server):
    page.goto(f"{server.url}/groups/{SLUG}/chat/")
    expect(page.locator("[data-chat-status]")).to_have_text("Connected")


def test_report_hide_appeal_reverse(demo_data, phone):
    server = demo_data
    morgan_email = _second_moderator(server)
    sam, priya, alex, morgan = phone(), phone(), phone(), phone()
    log_in(sam, server, "parent@example.com")
    log_in(priya, server, "parent2@example.com")
    log_in(alex, server, "moderator@example.com")
    log_in(morgan, server, morgan_email)

    # Sam posts something that upsets people.
    text = f"Honestly some of you are useless parents {uuid.uuid4().hex[:4]}"
    _room(sam, server)
    sam.fill("[data-composer-input]", text)
    sam.click(".composer__send")
    expect(sam.locator(".msg__body", has_text=text)).to_be_visible()

    # Alex has the live queue open.
    alex.goto(f"{server.url}/moderation/")
    expect(alex.locator("[data-queue-status]")).to_be_visible()
    assert_accessible(alex, "moderation queue")
    expect(alex.locator(".mod-item", has_text=text)).to_have_count(0)

    # Priya reports it from the message's menu.
    _room(priya, server)
    msg = priya.locator(".msg", has_text=text).last
    msg.locator("summary").click()
    msg.get_by_role("link", name="Report").click()
    expect(priya.get_by_role("heading", name="Report a message")).to_be_visible()
    priya.get_by_label("Unkind, bullying or harassment").check()
    priya.get_by_label("Anything else we should know? (optional)").fill("Very hurtful")
    screenshot(priya, "moderation-report")
    assert_accessible(priya, "report form")
    priya.get_by_role("button", name="Send report").click()
    expect(priya.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    screenshot(priya, "moderation-report-thanks")

    # It appears in Alex's queue without a reload.
    item = alex.locator(".mod-item", has_text=text)
    expect(item).to_be_visible()
    expect(item).to_contain_text("Unkind, bullying or harassment")
    expect(item).to_contain_text("Very hurtful")
    screenshot(alex, "moderation-queue")
    assert_accessible(alex, "moderation queue with an item")

    # Priya is back in the room and replies to it; Sam still has the room open.
    _room(priya, server)
    expect(priya.locator(".msg__body", has_text=text)).to_be_visible()
    expect(priya.locator(".chat__concern a")).to_have_text(
        "I'm worried about someone in this group"
    )
    msg = priya.locator(".msg", has_text=text).last
    msg.locator("summary").click()
    msg.locator("[data-chat-reply]").click()
    reply_text = f"That's not fair, we're all trying {uuid.uuid4().hex[:4]}"
    priya.fill("[data-composer-input]", reply_text)
    priya.click(".composer__send")
    reply = priya.locator(".msg", has_text=reply_text)
    expect(reply.locator(".msg__reply")).to_contain_text(text[:40])

    # Alex hides the message: a placeholder takes its place on Priya's screen at once.
    item.get_by_label("Hide the message").check()
    item.get_by_label("Reason (the member is told this, and it goes in the log)").fill(
        "Calling other parents useless breaks our kindness rule."
    )
    item.get_by_role("button", name="Do this").click()
    expect(alex.locator(".flash", has_text="Done")).to_be_visible()
    expect(priya.locator(".msg__body", has_text=text)).to_have_count(0)
    expect(priya.locator(".msg--placeholder", has_text=PLACEHOLDER)).to_have_count(1)
    expect(reply.locator(".msg__reply")).to_contain_text(
        "Replying to a message hidden while a moderator looks at it"
    )
    expect(priya.locator(".msg--placeholder")).not_to_contain_text("Sam")
    screenshot(priya, "moderation-hidden-member")
    # Sam, its author, still sees his words, marked hidden, with a note only he sees.
    mine = sam.locator(".msg--hidden", has_text=text)
    expect(mine).to_contain_text("Hidden for now")
    expect(mine).to_contain_text("Only you can see this message")
    screenshot(sam, "moderation-hidden-author")
    # A fresh page load shows the same (server-rendered, no body for Priya).
    priya.reload()
    expect(priya.locator(".msg--placeholder", has_text=PLACEHOLDER)).to_have_count(1)
    assert text not in priya.content()
    assert_accessible(priya, "room with a hidden message")

    # Sam is told why and appeals once.
    sam.goto(f"{server.url}/moderation/decisions/")
    sam.get_by_role("link", name="Your message was hidden").first.click()
    expect(sam.locator("body")).to_contain_text("breaks our kindness rule")
    sam.get_by_label("Why do you think this decision was wrong?").fill(
        "I was quoting what my mum said to me, not talking about anyone here."
    )
    screenshot(sam, "moderation-appeal")
    assert_accessible(sam, "appeal form")
    sam.get_by_role("button", name="Send my appeal").click()
    expect(sam.locator("[data-appeal-status]")).to_contain_text("Waiting for a moderator")
    # Morgan can decide it, so Sam is told another moderator will, and by when.
    expect(sam.locator("[data-appeal-who]")).to_contain_text(
        "Another moderator, not the one who made the decision, will read your appeal and reply by"
    )

    # Alex made the decision, so Alex cannot decide the appeal.
    alex.goto(f"{server.url}/moderation/")
    expect(alex.get_by_role("heading", name="Appeals waiting for you")).to_have_count(0)

    # Morgan, a different moderator, reverses it.
    morgan.goto(f"{server.url}/moderation/")
    morgan.get_by_role("link", name="Read and decide").first.click()
    expect(morgan.locator("body")).to_contain_text("quoting what my mum said")
    morgan.get_by_label("Reverse the decision").check()
    morgan.get_by_label("Reason (the member is told this)").fill(
        "It was a quote about Sam's own life. Restored."
    )
    screenshot(morgan, "moderation-appeal-decide")
    assert_accessible(morgan, "appeal decision")
    morgan.get_by_role("button", name="Decide").click()
    expect(morgan.locator(".flash", has_text="Decided")).to_be_visible()

    # The message is back in place for everyone, live in Priya's open room.
    expect(priya.locator(".msg__body", has_text=text)).to_be_visible()
    expect(priya.locator(".msg--placeholder")).to_have_count(0)
    expect(reply.locator(".msg__reply")).to_contain_text(text[:40])
    screenshot(priya, "moderation-restored-member")
    _room(priya, server)
    expect(priya.locator(".msg__body", has_text=text)).to_be_visible()
    sam.reload()
    expect(sam.locator("[data-appeal-status]")).to_contain_text("Decision reversed")


def test_support_terms_and_complaint_pages(demo_data, phone):
    server = demo_data
    page = phone()
    log_in(page, server, "parent@example.com")
    page.goto(f"{server.url}/moderation/support/")
    expect(page.locator("body")).to_contain_text("116 123")
    screenshot(page, "moderation-support")
    assert_accessible(page, "support")
    page.goto(f"{server.url}/moderation/terms/")
    assert_accessible(page, "terms")
    # The group page offers "I'm worried about someone in this group" to members.
    page.goto(f"{server.url}/groups/{SLUG}/")
    link = page.get_by_role("link", name="I'm worried about someone in this group")
    expect(link).to_be_visible()
    screenshot(page, "moderation-group-concern-link")
    link.click()
    expect(page).to_have_url(re.compile(rf"/moderation/concern/{SLUG}/$"))
    page.goto(f"{server.url}/moderation/complaint/")
    page.get_by_role("button", name="Send complaint").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    screenshot(page, "moderation-complaint")
    assert_accessible(page, "complaint")


def test_a_banned_member_can_still_appeal_and_complain(demo_data, phone):
    server = demo_data
    email = f"casey-{uuid.uuid4().hex[:6]}@example.com"
    server.shell(
        "import uuid\n"
        "from accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        "from chat.services import message_send, room_for_group\n"
        "from groups.models import Group, Membership\n"
        "from moderation import services\n"
        f"u = User.objects.create_user({email!r}, 'village-demo', display_name='Casey')\n"
        "EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
        # The ban's email would wait out quiet hours when this test runs at night.
        "from notifications.models import QuietHours\n"
        "QuietHours.objects.create(user=u, enabled=False)\n"
        f"g = Group.objects.get(slug={SLUG!r})\n"
        "Membership.objects.create(user=u, group=g)\n"
        "m = message_send(user=u, room=room_for_group(g.pk), body='Cheap pills, DM me',"
        " client_id=uuid.uuid4()).message\n"
        "priya = User.objects.get(email='parent2@example.com')\n"
        "alex = User.objects.get(email='moderator@example.com')\n"
        "r = services.report_message(user=priya, message_id=m.pk, reason='spam')\n"
        "services.case_act(actor=alex, case_id=r.case_id, kind='ban', site_wide=True,"
        " reason='Selling medicines in a parents group')\n"
    )
    page = phone()
    log_in(page, server, email)
    expect(page.get_by_role("heading", name="This account is closed")).to_be_visible()
    screenshot(page, "moderation-closed-login")
    assert_accessible(page, "closed account log-in page")

    (letter,) = server.emails_to(email)
    body = letter.get_payload(decode=True).decode()
    link = next(w for w in body.split() if "/moderation/closed/" in w)
    page.goto(link)
    expect(page.locator("body")).to_contain_text("Selling medicines in a parents group")
    page.get_by_label("Why do you think this decision was wrong?").fill(
        "Someone else used my phone. I'm sorry it happened."
    )
    page.get_by_role("button", name="Send my appeal").click()
    # Who decides depends on who else is on the team (another moderator, staff, or nobody
    # yet); whichever it is, the page says so.
    expect(page.locator("[data-appeal-status]")).to_contain_text("Waiting for")
    expect(page.locator("[data-appeal-who]")).to_be_visible()
    page.get_by_label("A moderation decision").check()
    page.get_by_label("Tell us what happened").fill("I was never warned before the ban.")
    page.get_by_role("button", name="Send complaint").click()
    expect(page.locator("[data-complaint]")).to_contain_text("Received")
    screenshot(page, "moderation-closed-account")
    assert_accessible(page, "closed account page")
    # The link opens only this page: the rest of Village still asks them to log in.
    page.goto(f"{server.url}/groups/{SLUG}/chat/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

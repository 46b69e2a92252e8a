"""In a real browser at phone size: with nobody on duty, a member who writes something that
sounds like crisis is told honestly that the moderators are back later and where to get help
now; the moderator, now on duty, opens the alert's email link and taps "I've got this" once.
Also the staff rota page and a facilitator's hours and time away. Axe on each new page; the
W3C checker runs over them at the end (test_zz_html_valid.py).

The rota is set through the real services in the server's database, relative to the real
clock, and removed at the end (other browser tests share the server)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

SLUG = "brierley-hill-parents-circle"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from moderation import rota, services
staff, _ = User.objects.get_or_create(email="rota-staff@example.com",
    defaults={"display_name": "Rota staff", "is_staff": True})
alex = User.objects.get(email="moderator@example.com")
now = timezone.now().astimezone(rota.UK).replace(second=0, microsecond=0)
start = now + timedelta(hours=OFFSET_START)
end = now + timedelta(hours=OFFSET_END)
services.shift_add(actor=staff, person_id=alex.pk, weekday=start.weekday(),
    starts=start.time(), ends=end.time())
print(start.strftime("%H:%M"))
"""

SETUP_DAY = """
from django.utils import timezone
from moderation import rota
print(timezone.now().astimezone(rota.UK).strftime("%A"))
"""

CLEANUP = """
from moderation.models import Shift
Shift.objects.filter(group__isnull=True).delete()
"""


def _shift(server, start_hours: float, end_hours: float) -> str:
    code = SETUP.replace("OFFSET_START", str(start_hours)).replace("OFFSET_END", str(end_hours))
    return server.shell(code).strip().splitlines()[-1]


def _staff(server) -> str:
    email = f"staff-{uuid.uuid4().hex[:6]}@example.com"
    server.shell(
        "from accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        f"u = User.objects.create_user({email!r}, 'village-demo', display_name='Sky',"
        " is_staff=True)\n"
        "EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
    )
    return email


def _subject(message) -> str:
    from email.header import decode_header, make_header

    return " ".join(str(make_header(decode_header(message["Subject"] or ""))).split())


def _text_of(message) -> str:
    return next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )


def test_out_of_hours_crisis_and_the_on_duty_moderator_takes_it(demo_data, phone):
    server = demo_data
    try:
        back = _shift(server, 2, 3)  # Alex is on in two hours; nobody is on now
        sam, alex = phone(), phone()
        log_in(sam, server, "parent@example.com")
        log_in(alex, server, "moderator@example.com")

        # Sam writes something that sounds like crisis: the panel is honest about hours.
        sam.goto(f"{server.url}/groups/{SLUG}/chat/")
        expect(sam.locator("[data-chat-status]")).to_have_text("Connected")
        words = f"I can't go on like this {uuid.uuid4().hex[:4]}"
        sam.fill("[data-composer-input]", words)
        sam.click(".composer__send")
        panel = sam.locator("[data-support-panel]")
        expect(panel).to_be_visible()
        hours = panel.locator("[data-honest-hours]")
        expect(hours).to_contain_text("No moderator is on duty right now.")
        expect(hours).to_contain_text("Our moderators are back")
        expect(hours).to_contain_text(back)
        expect(hours).to_contain_text("If you need help now: Samaritans")
        expect(hours.get_by_role("link", name=re.compile("116 123"))).to_have_attribute(
            "href", "tel:116123"
        )
        hours.scroll_into_view_if_needed()
        screenshot(sam, "rota-crisis-out-of-hours", full_page=False)
        assert_accessible(sam, "chat with the honest hours")

        # The support page says the same.
        sam.goto(f"{server.url}/moderation/support/")
        expect(sam.locator("[data-honest-hours]")).to_contain_text(back)
        assert_accessible(sam, "support page with the honest hours")

        # Now Alex comes on duty, and opens the alert's email link.
        _shift(server, -1, 1)
        mails = [
            m for m in server.emails_to("moderator@example.com")
            if "may be in crisis" in _subject(m)
        ]  # fmt: skip
        assert mails, "the crisis alert was emailed to the moderator"
        link = re.search(r"http://\S+#case-(\d+)", _text_of(mails[-1]))
        assert link, "the alert email links to the item"
        assert words not in _text_of(mails[-1])  # never the member's words
        alex.goto(link.group(0))
        item = alex.locator(f"#case-{link.group(1)}")
        expect(alex.locator(".mod-duty")).to_contain_text("On duty now:")
        expect(alex.locator(".mod-duty")).to_contain_text("Alex")
        button = item.get_by_role("button", name="I've got this")
        expect(button).to_be_visible()
        expect(alex.locator("[data-queue-status]")).to_be_visible()  # live: refreshed once
        # A thumb-sized tap target (measured in the page: the live queue may redraw it).
        alex.wait_for_function(
            "id => { const b = document.querySelector(`#case-${id} .mod-ack__button`);"
            " return b && b.getBoundingClientRect().height >= 44; }",
            arg=link.group(1),
        )
        screenshot(alex, "rota-alert-in-queue")
        assert_accessible(alex, "queue with an urgent alert")
        button.click()
        expect(alex.locator(".messages, [role=status], .notice").first).to_contain_text(
            "it's yours"
        )
        item = alex.locator(f"#case-{link.group(1)}")
        expect(item).to_contain_text("Alex picked this up at")
        expect(item.get_by_role("button", name="I've got this")).to_have_count(0)
        screenshot(alex, "rota-alert-acknowledged")

        # The rota page (moderators see it; staff edit it).
        alex.goto(f"{server.url}/moderation/rota/")
        expect(alex.get_by_role("heading", name="Moderators' rota")).to_be_visible()
        expect(alex.locator(".mod-duty")).to_contain_text("Alex")
        screenshot(alex, "rota-page")
        assert_accessible(alex, "rota page")

        # Staff edit it: a shift that overlaps is refused and keeps what was typed.
        staff = phone()
        log_in(staff, server, _staff(server))
        staff.goto(f"{server.url}/moderation/rota/")
        assert_accessible(staff, "rota page for staff")
        form = staff.locator("form", has=staff.get_by_role("button", name="Add the shift"))
        form.get_by_label("Moderator").select_option(label="Alex")
        day = server.shell(SETUP_DAY).strip().splitlines()[-1]
        form.get_by_label("Day").select_option(label=day)
        form.get_by_label("From (UK time)").fill(back)
        form.get_by_label("Until (UK time)").fill(back)
        form.get_by_role("button", name="Add the shift").click()
        expect(staff.locator(".mod-error")).to_contain_text("end at a different time")
        screenshot(staff, "rota-page-staff-refused")
        assert_accessible(staff, "rota page with a refusal")
        staff.goto(f"{server.url}/moderation/figures/")
        expect(staff.get_by_role("heading", name="Urgent alerts (last 90 days)")).to_be_visible()
        expect(staff.locator(".mod-hours")).to_be_visible()
        screenshot(staff, "rota-figures")
        assert_accessible(staff, "figures with the alerts")
    finally:
        server.shell(CLEANUP)


def test_a_facilitator_sets_hours_and_time_away(demo_data, phone):
    server = demo_data
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{server.url}/groups/{SLUG}/")
    jo.get_by_role("link", name="My hours and time away").click()
    expect(jo.get_by_role("heading", name="Your hours and time away")).to_be_visible()
    assert_accessible(jo, "cover page")

    # Asking for no cover and not asking the moderators is refused, keeping the dates.
    jo.get_by_label("Away from").fill("2030-08-01")
    jo.get_by_label("Back after").fill("2030-08-10")
    jo.get_by_role("button", name="Save my time away").click()
    refusal = jo.locator(".field--error, .mod-error").first
    expect(refusal).to_contain_text("Please choose who covers")
    expect(jo.get_by_label("Away from")).to_have_value("2030-08-01")
    jo.get_by_label("Nobody here can: ask the moderators").check()
    jo.get_by_role("button", name="Save my time away").click()
    expect(jo.locator("body")).to_contain_text("Away from Thu 1 Aug to Sat 10 Aug.")

    jo.get_by_label("Day").select_option(label="Tuesday")
    jo.get_by_label("From").last.fill("19:00")
    jo.get_by_label("Until").fill("21:00")
    jo.get_by_role("button", name="Add these hours").click()
    expect(jo.locator("body")).to_contain_text("Tuesday 19:00–21:00")
    screenshot(jo, "rota-cover-page")
    jo.goto(f"{server.url}/groups/{SLUG}/")
    expect(jo.locator(".facilitator-hours")).to_contain_text("Tuesday 19:00–21:00")
    server.shell(
        "from moderation.models import Shift\n"
        "from groups.models import FacilitatorAway\n"
        "Shift.objects.filter(group__isnull=False).delete()\n"
        "FacilitatorAway.objects.all().delete()\n"
    )

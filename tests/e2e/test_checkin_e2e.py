"""The whole hand-over, in phone-sized browsers: Chris misses two meetups, taps "I'd like
someone to get in touch" in the email while logged out, the facilitator opens a private
check-in from the notification and writes, and Chris answers from their phone, live."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


ARRANGE = """
import datetime as dt
from zoneinfo import ZoneInfo
from django.utils import timezone
from accounts.models import User
from groups.demo import _user
from groups.models import Group, Membership
from meetups import services
g, _ = Group.objects.get_or_create(slug='handover-circle', defaults={
    'name': 'Handover Circle', 'join_policy': 'open', 'time_zone': 'Europe/London'})
tz = ZoneInfo(g.time_zone)
jo = User.objects.get(email='facilitator@example.com')
chris = _user({'email': 'chris@example.com', 'display_name': 'Chris H'})
sam = User.objects.get(email='parent@example.com')
# The jobs run at past noons, but the emails go at the real hour: Chris and Jo turn quiet
# hours off, or at night they would wait for the morning.
from notifications.models import QuietHours
for who in (chris, jo):
    QuietHours.objects.update_or_create(user=who, defaults={'enabled': False})
joined = timezone.now() - dt.timedelta(days=60)
for who, role in ((jo, 'facilitator'), (chris, 'member'), (sam, 'member')):
    Membership.objects.update_or_create(group=g, user=who,
        defaults={'status': 'active', 'role': role, 'joined_at': joined})
today = timezone.localdate(timezone=tz)
for weeks_ago in (4, 3, 2, 1):
    day = today - dt.timedelta(weeks=weeks_ago)
    o = services.one_off_create(group=g, by=jo, title='Handover group', on=day,
        start_time=dt.time(10, 0), duration_minutes=90,
        place=services.Place(venue_name='Family Hub'), allow_past=True)
    came = [sam.pk, chris.pk] if weeks_ago > 2 else [sam.pk]
    services.attendance_mark(occurrence=o, user_ids=came, by=jo)
    closed = dt.datetime.combine(day, dt.time(11, 30), tz)
    services.register_close(occurrence=o, by=jo, now=closed)
    print(dt.datetime.combine(day, dt.time(12, 0), tz).astimezone(dt.UTC).isoformat())
print(g.slug)
"""


def test_the_whole_hand_over(demo_data, phone):
    server = demo_data
    *noons, slug = server.shell(ARRANGE).strip().splitlines()[-5:]
    # The jobs ran after each meetup: Chris, who used to come, missed two in a row.
    for noon in noons:
        server.manage("run_meetup_jobs", "--now", noon)

    # 1. Chris taps "I'd like someone to get in touch" in the email, logged out.
    mails = [m for m in server.emails_to("chris@example.com") if "We missed you" in m["Subject"]]
    assert len(mails) == 2  # one warm nudge after each miss, a week apart
    text = next(
        part.get_payload(decode=True).decode()
        for part in mails[-1].walk()
        if part.get_content_type() == "text/plain"
    )
    contact = re.search(r"get in touch: \S+?(/meetups/missed/[^/\s]+/)", text)
    assert contact, text
    chris = phone()
    chris.goto(f"{server.url}{contact.group(1)}")
    chris.get_by_role("button", name="I'd like someone to get in touch").click()
    expect(chris.get_by_text("someone will be in touch soon")).to_be_visible()
    screenshot(chris, "checkin-asked")

    # 2. The facilitator opens the check-in from the notification and writes.
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{server.url}/notifications/")
    note = jo.locator(".note", has_text="Chris H would like someone to get in touch")
    expect(note).to_have_count(1)
    note.locator("a").first.click()
    expect(jo.get_by_role("heading", name="Check in with Chris H")).to_be_visible()
    screenshot(jo, "checkin-start")
    assert_accessible(jo, "check-in start page")
    jo.get_by_role("button", name="Open the conversation").click()
    expect(jo.get_by_role("heading", name="Private conversation with Chris H")).to_be_visible()
    expect(jo.locator("[data-chat-status]")).to_have_text(re.compile("Live|Connected|^$"))
    jo.fill("textarea[name=body]", "Hi Chris, we missed you. No pressure at all, how are you?")
    jo.get_by_role("button", name="Send").click()
    expect(jo.locator(".msg", has_text="we missed you. No pressure")).to_be_visible()
    screenshot(jo, "checkin-facilitator")
    assert_accessible(jo, "check-in conversation (facilitator)")

    # 3. Chris logs in on their phone, follows the notification, and answers.
    log_in(chris, server, "chris@example.com")
    chris.goto(f"{server.url}/notifications/")
    mine = chris.locator(".note", has_text="sent you a private message")
    expect(mine).to_have_count(1)
    expect(mine).not_to_contain_text("No pressure")  # the bell never carries the text
    mine.locator("a").first.click()
    expect(chris.get_by_role("heading", name="You and the facilitators")).to_be_visible()
    expect(chris.locator("[data-checkin-notice]")).to_contain_text(
        "moderators can read it too, only to keep people safe"
    )
    expect(chris.locator(".msg", has_text="No pressure at all")).to_be_visible()
    chris.fill("textarea[name=body]", "Thanks Jo. It's been a hard couple of weeks.")
    chris.get_by_role("button", name="Send").click()
    expect(chris.locator(".msg", has_text="hard couple of weeks")).to_be_visible()
    screenshot(chris, "checkin-member")
    assert_accessible(chris, "check-in conversation (member)")

    # The facilitator's open page shows the answer live.
    expect(jo.locator(".msg", has_text="hard couple of weeks")).to_be_visible()

    # Another member of the group can't open it.
    sam = phone()
    log_in(sam, server, "parent@example.com")
    response = sam.goto(jo.url)
    assert response.status == 404
    assert slug

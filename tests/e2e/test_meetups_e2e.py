"""A real weekly group, end to end, in a phone-sized browser: the facilitator plans a weekly
series, a member says she's going, the facilitator takes the register (she isn't there), the
jobs run, and she gets a warm "we missed you" she can answer with one tap."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e
LONDON = ZoneInfo("Europe/London")


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def _next_morning_utc() -> str:
    """The next 10:00 in London: outside quiet hours, within a day of the register closing."""
    now = dt.datetime.now(LONDON)
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    if ten <= now:
        ten += dt.timedelta(days=1)
    return ten.astimezone(dt.UTC).isoformat()


def test_weekly_meetup_register_and_missed_you(demo_data, phone):
    server = demo_data
    slug = _last_line(
        server.shell(
            "from groups.models import Group\n"
            "print(Group.objects.filter(join_policy='open').order_by('pk').first().slug)"
        )
    )
    base = f"{server.url}/groups/{slug}/meetups"

    # 1. The facilitator plans a weekly series in a minute.
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{base}/new/")
    first = dt.date.today() + dt.timedelta(days=(3 - dt.date.today().weekday()) % 7 or 7)
    jo.fill("input[name=title]", "Thursday coffee morning")
    jo.fill("input[name=first_date]", first.isoformat())
    jo.fill("input[name=start_time]", "10:00")
    jo.fill("input[name=venue_name]", "St John's church hall")
    jo.fill("input[name=venue_address]", "High Street, Dudley")
    jo.fill("input[name=accessibility_notes]", "Step-free, buggy space")
    screenshot(jo, "meetups-new")
    jo.get_by_role("button", name="Put it on the calendar").click()
    expect(jo.get_by_text("Your meetups are on the calendar")).to_be_visible()
    expect(jo.get_by_text("Thursday coffee morning").first).to_be_visible()
    screenshot(jo, "meetups-list")
    assert_accessible(jo, "meetups list")

    # A meetup that is happening right now (started an hour ago), arranged via the services.
    pk = _last_line(
        server.shell(
            "import datetime as dt\n"
            "from zoneinfo import ZoneInfo\n"
            "from django.utils import timezone\n"
            "from groups.models import Group\n"
            "from accounts.models import User\n"
            "from meetups import services\n"
            f"g = Group.objects.get(slug={slug!r})\n"
            "jo = User.objects.get(email='facilitator@example.com')\n"
            "start = (timezone.now() - dt.timedelta(hours=1)).astimezone(ZoneInfo(g.time_zone))\n"
            "o = services.one_off_create(group=g, by=jo, title='Extra catch-up', on=start.date(),"
            " start_time=start.time().replace(second=0, microsecond=0), duration_minutes=120,"
            " place=services.Place(venue_name='Family Hub'), allow_past=True)\n"
            "print(o.pk)"
        )
    )

    # 2. Priya says she's going (to the new series, and to today's catch-up).
    priya = phone()
    log_in(priya, server, "parent2@example.com")
    priya.goto(f"{base}/")
    priya.get_by_role("link", name=re.compile(first.strftime("%A"))).first.click()
    expect(priya.get_by_role("heading", name="Are you coming?")).to_be_visible()
    priya.get_by_role("button", name="I'm going").click()
    expect(priya.get_by_text("Lovely, see you there!")).to_be_visible()
    expect(priya.get_by_text("Your answer:")).to_contain_text("Going")
    screenshot(priya, "meetups-occurrence")
    assert_accessible(priya, "meetup page")
    priya.goto(f"{base}/{pk}/")
    priya.get_by_role("button", name="I'm going").click()
    expect(priya.get_by_text("Lovely, see you there!")).to_be_visible()

    # 3. The facilitator takes the register: Sam is here, Priya isn't.
    jo.goto(f"{base}/{pk}/register/")
    expect(jo.get_by_role("heading", name="Who's here?")).to_be_visible()
    sam_row = jo.locator("[data-row]", has_text="Sam")
    sam_row.get_by_role("checkbox").check()
    expect(sam_row.locator("[data-status]")).to_have_text("Saved ✓")
    expect(jo.locator("[data-present-count]")).to_have_text("1")
    # A walk-in added by mistake (typed twice) is taken off again.
    for _ in range(2):
        jo.fill("input[name=name]", "Alex")
        jo.get_by_role("button", name="Add them").click()
        expect(jo.get_by_text("Added. Welcome to them!")).to_be_visible()
    expect(jo.locator(".register__row--walkin", has_text="Alex")).to_have_count(2)
    screenshot(jo, "meetups-register")
    assert_accessible(jo, "register page")
    jo.get_by_role("button", name="Take Alex off the register").first.click()
    expect(jo.get_by_text("the walk-in taken off")).to_be_visible()
    expect(jo.locator(".register__row--walkin", has_text="Alex")).to_have_count(1)
    jo.get_by_role("button", name="Close the register").click()
    expect(jo.get_by_text("Register closed. Thank you for running the group.")).to_be_visible()
    # Closed by mistake? It can be reopened, and the page says sent messages stay sent.
    expect(jo.get_by_text("stay sent")).to_be_visible()
    screenshot(jo, "meetups-register-closed")
    jo.get_by_role("button", name="Reopen the register").click()
    expect(jo.get_by_text("The register is open again.")).to_be_visible()
    jo.get_by_role("button", name="Close the register").click()
    expect(jo.get_by_text("Register closed. Thank you for running the group.")).to_be_visible()
    assert "Sam" in _last_line(
        server.shell(
            "from meetups.models import Attendance\n"
            f"print([a.user.display_name for a in Attendance.objects.filter(occurrence_id={pk},"
            " user__isnull=False)])"
        )
    )

    # 4. The jobs run (at a kind hour: nothing goes out between 21:00 and 08:00). The email
    #    itself goes at the real hour, so Priya turns quiet hours off (or it would wait for
    #    her morning when this test runs at night).
    server.shell(
        "from accounts.models import User\n"
        "from notifications.models import QuietHours\n"
        "priya = User.objects.get(email='parent2@example.com')\n"
        "QuietHours.objects.update_or_create(user=priya, defaults={'enabled': False})"
    )
    out = server.manage("run_meetup_jobs", "--now", _next_morning_utc())
    assert re.search(r"nudges_sent: [1-9]", out), out
    again = server.manage("run_meetup_jobs", "--now", _next_morning_utc())
    assert "nudges_sent: 0" in again  # exactly once

    # 5. Priya sees the "we missed you" and answers it with one tap.
    priya.goto(f"{server.url}/notifications/")
    note = priya.locator(".note", has_text="We missed you at")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("people noticed")
    note.locator("a").click()
    expect(priya.get_by_role("heading", name=re.compile("We missed you"))).to_be_visible()
    screenshot(priya, "meetups-missed")
    assert_accessible(priya, "we missed you page")
    priya.get_by_role("button", name="I'm OK, see you next time").click()
    expect(priya.get_by_text("Thank you for letting us know. See you next time!")).to_be_visible()
    mails = [m for m in server.emails_to("parent2@example.com") if "We missed you" in m["Subject"]]
    assert len(mails) == 1
    assert mails[0]["List-Unsubscribe"]

    # 6. The email's own one-tap link works without logging in: opening it shows one big
    #    button (nothing changes on opening: mail scanners fetch links), tapping it answers.
    text = next(
        part.get_payload(decode=True).decode()
        for part in mails[0].walk()
        if part.get_content_type() == "text/plain"
    )
    contact = re.search(r"get in touch: \S+?(/meetups/missed/[^/\s]+/)", text)
    assert contact, text
    stranger = phone()  # a fresh browser: not logged in
    stranger.goto(f"{server.url}{contact.group(1)}")
    button = stranger.get_by_role("button", name="I'd like someone to get in touch")
    expect(button).to_be_visible()
    screenshot(stranger, "meetups-one-tap")
    assert_accessible(stranger, "one-tap answer page")
    button.click()
    expect(stranger.get_by_text("someone will be in touch soon")).to_be_visible()
    screenshot(stranger, "meetups-one-tap-done")
    stranger.goto(f"{server.url}{contact.group(1)[:-6]}xxxxx/")  # a damaged link
    expect(stranger.get_by_role("heading", name="This link doesn't work")).to_be_visible()
    expect(stranger.get_by_role("link", name="Log in to answer")).to_be_visible()
    screenshot(stranger, "meetups-one-tap-bad-link")

    # Sam was there: no nudge for Sam.
    sam_notes = _last_line(
        server.shell(
            "from notifications.models import Notification\n"
            "print(Notification.objects.filter(user__email='parent@example.com',"
            " kind='missed_you').count())"
        )
    )
    assert sam_notes == "0"

    # The facilitator's attendance grid.
    jo.goto(f"{base}/attendance/")
    expect(jo.get_by_role("heading", name="Who's been coming")).to_be_visible()
    screenshot(jo, "meetups-attendance")


def test_register_tick_that_fails_is_shown_and_retried(demo_data, phone):
    server = demo_data
    slug = _last_line(
        server.shell(
            "from groups.models import Group\n"
            "print(Group.objects.filter(join_policy='open').order_by('pk').first().slug)"
        )
    )
    pk = _last_line(
        server.shell(
            "import datetime as dt\n"
            "from zoneinfo import ZoneInfo\n"
            "from django.utils import timezone\n"
            "from groups.models import Group\n"
            "from meetups import services\n"
            f"g = Group.objects.get(slug={slug!r})\n"
            "start = timezone.now() - dt.timedelta(minutes=30)\n"
            "start = start.astimezone(ZoneInfo(g.time_zone))\n"
            "o = services.one_off_create(group=g, by=None, title='Patchy signal', on=start.date(),"
            " start_time=start.time().replace(second=0, microsecond=0), duration_minutes=120,"
            " place=services.Place(venue_name='Family Hub'), allow_past=True)\n"
            "print(o.pk)"
        )
    )
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(f"{server.url}/groups/{slug}/meetups/{pk}/register/")
    failures = {"left": 1}

    def flaky(route):
        if failures["left"]:
            failures["left"] -= 1
            route.abort()  # the signal drops
        else:
            route.continue_()

    jo.route("**/register/tick/", flaky)
    row = jo.locator("[data-row]", has_text="Priya")
    row.get_by_role("checkbox").check()
    expect(row.locator("[data-status]")).to_contain_text("trying again")
    expect(row).to_have_class(re.compile("is-failed"))
    screenshot(jo, "meetups-register-retry")
    expect(row.locator("[data-status]")).to_have_text("Saved ✓", timeout=15_000)
    present = _last_line(
        server.shell(
            "from meetups.models import Attendance\n"
            f"print(Attendance.objects.filter(occurrence_id={pk},"
            " user__email='parent2@example.com').count())"
        )
    )
    assert present == "1"

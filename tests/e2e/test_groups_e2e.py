"""In a real browser at phone size: a newcomer asks to join the demo's by-request group, the
demo facilitator says yes and manages members; screenshots and axe checks along the way."""

import re
import uuid

import pytest

from tests.e2e.helpers import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e


def _new_member(server, display_name: str) -> str:
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.com"
    server.shell(
        "from accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        f"u = User.objects.create_user({email!r}, 'village-demo', display_name={display_name!r})\n"
        "EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
    )
    return email


def _fits_320(page) -> None:
    """Nothing spills sideways on the narrowest phones we support."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.scrollingElement.scrollWidth")
    page.set_viewport_size(size)
    assert width <= 320, f"{page.url} is {width}px wide at 320px"


def test_request_approve_and_manage_members(demo_data, phone):
    server = demo_data
    newcomer = phone()
    email = _new_member(server, "Robin")
    log_in(newcomer, server, email)

    # Find the group in the directory.
    newcomer.goto(f"{server.url}/groups/")
    assert newcomer.get_by_role("heading", name="Find a group").is_visible()
    assert "Carers' Quiet Room" not in newcomer.content()  # unlisted stays hidden
    screenshot(newcomer, "groups-directory")
    _fits_320(newcomer)
    assert_accessible(newcomer, "directory")
    newcomer.get_by_label("Group name").fill("SEND")
    newcomer.get_by_role("button", name="Show groups").click()
    newcomer.get_by_role("link", name=re.compile("SEND Parents Together")).click()

    # The group page offers one clear action: ask to join.
    assert newcomer.get_by_role("heading", name="SEND Parents Together", level=1).is_visible()
    assert newcomer.locator(".facilitators li", has_text="Jo").first.is_visible()
    screenshot(newcomer, "groups-page")
    _fits_320(newcomer)
    assert_accessible(newcomer, "group page")
    newcomer.get_by_role("link", name="Ask to join").click()
    answers = newcomer.locator("textarea")
    assert answers.count() == 2
    # Leaving one blank keeps what was typed and says what's wrong.
    answers.nth(0).fill("My daughter is five and has a speech delay.")
    newcomer.get_by_role("button", name="Send my request").click()
    assert newcomer.get_by_text("Please answer this question.").is_visible()
    assert newcomer.locator("textarea").nth(0).input_value().startswith("My daughter is five")
    newcomer.locator("textarea").nth(1).fill("Some company in the waiting.")
    newcomer.get_by_role("button", name="Send my request").click()
    assert newcomer.get_by_text("We've sent your request").is_visible()
    assert newcomer.get_by_text("You've asked to join.").is_visible()

    # The facilitator says yes, with a note.
    jo = phone()
    log_in(jo, server, "facilitator@example.com")
    jo.goto(newcomer.url.split("#")[0] + "members/")
    card = jo.locator(".request-card", has_text="Robin")
    assert card.get_by_text("speech delay").is_visible()
    card.get_by_label("A message for them (optional)").fill("Lovely to have you, Robin!")
    card.get_by_role("button", name="Say yes").click()
    assert jo.get_by_text("Robin is in. We've let them know.").is_visible()
    assert jo.locator(".request-card", has_text="Robin").count() == 0

    # ...and manages members: an invite link, a new facilitator.
    jo.get_by_role("button", name="Make an invite link").click()
    link = jo.locator(".invite-card__link").first.input_value()
    assert "/groups/invite/" in link
    row = jo.locator(".member-row", has_text="Robin")
    row.get_by_role("button", name=re.compile("Make facilitator")).click()
    assert jo.get_by_text("Robin is now a facilitator.").is_visible()
    assert jo.locator(".member-row", has_text="Robin").get_by_text("Facilitator").is_visible()
    assert "@example.com" not in jo.content()  # never an email on a member-facing page
    screenshot(jo, "groups-members")
    _fits_320(jo)
    assert_accessible(jo, "members page")

    # The newcomer is in.
    newcomer.reload()
    assert newcomer.get_by_role("link", name=re.compile("Open the group chat")).is_visible()
    screenshot(newcomer, "groups-page-member")

    # Members see who's in the group: chosen names only, facilitators marked, no emails.
    newcomer.get_by_role("link", name=re.compile("Who's here")).click()
    assert newcomer.get_by_role("heading", name="Who's here").is_visible()
    robin = newcomer.locator(".people-list__row", has_text="Robin")
    assert robin.get_by_text("Facilitator").is_visible() and robin.get_by_text("(you)").is_visible()
    assert "@example.com" not in newcomer.content()
    screenshot(newcomer, "groups-people")
    _fits_320(newcomer)
    assert_accessible(newcomer, "who's here")
    newcomer.goto(f"{server.url}/")
    assert newcomer.get_by_role("link", name="SEND Parents Together").is_visible()
    screenshot(newcomer, "groups-home")


def test_open_join_shows_rules_and_invite_links_say_when_they_are_dead(demo_data, phone):
    server = demo_data
    page = phone()
    log_in(page, server, _new_member(server, "Kit"))

    # Open group: the house rules come before the one button that joins.
    page.goto(f"{server.url}/groups/")
    page.get_by_role("link", name=re.compile("Brierley Hill Parents")).click()
    page.get_by_role("link", name="Join this group").click()
    assert page.get_by_role("heading", name="House rules").is_visible()
    screenshot(page, "groups-join")
    page.get_by_role("button", name="I agree, join this group").click()
    assert page.get_by_text("You're a member now.").is_visible()

    # The unlisted group: a live invite lets Kit in; a switched-off one says so kindly.
    tokens = server.shell(
        "from groups.models import Invite, Group\n"
        "from groups import services\n"
        'g = Group.objects.get(name="Carers\' Quiet Room")\n'
        "jo = g.memberships.filter(role='facilitator').first().user\n"
        "live = services.invite_create(group=g, created_by=jo)\n"
        "dead = services.invite_create(group=g, created_by=jo)\n"
        "services.invite_revoke(invite=dead, actor=jo)\n"
        "print(live.token, dead.token)\n"
    ).split()
    live, dead = tokens[-2], tokens[-1]
    page.goto(f"{server.url}/groups/invite/{dead}/")
    assert page.get_by_text("switched off").is_visible()
    screenshot(page, "groups-invite-revoked")
    page.goto(f"{server.url}/groups/invite/{live}/")
    assert page.get_by_role("heading", name=re.compile("invited to Carers")).is_visible()
    screenshot(page, "groups-invite")
    assert_accessible(page, "invite landing")
    page.get_by_role("button", name="I agree, join this group").click()
    assert page.get_by_role("heading", name="Carers' Quiet Room", level=1).is_visible()
    assert page.get_by_role("link", name=re.compile("Open the group chat")).is_visible()

    # The same link again: no second "Join", just the way in.
    page.goto(f"{server.url}/groups/invite/{live}/")
    assert page.get_by_text("You're already a member — open the group").is_visible()
    assert page.get_by_role("button", name="I agree, join this group").count() == 0
    screenshot(page, "groups-invite-member")
    page.get_by_role("link", name="Open the group").click()
    assert page.get_by_role("heading", name="Carers' Quiet Room", level=1).is_visible()


def test_the_only_facilitator_is_asked_to_hand_over_first(demo_data, phone):
    server = demo_data
    page = phone()
    log_in(page, server, "facilitator@example.com")
    page.goto(f"{server.url}/groups/")
    page.get_by_role("link", name=re.compile("Brierley Hill Parents")).click()
    page.get_by_role("link", name="Leave this group").click()
    assert page.get_by_text("You're the only facilitator — make someone else a").is_visible()
    assert page.get_by_role("button", name="Leave this group").count() == 0
    screenshot(page, "groups-leave-last-facilitator")
    _fits_320(page)
    assert_accessible(page, "leave (last facilitator)")
    page.get_by_role("link", name="Choose a new facilitator").click()
    assert page.get_by_role("heading", name="Members and requests").is_visible()

"""A banned member's new account is put in front of a moderator, never blocked on a guess
(moderation/evasion.py): the same browser, the same address within a week, or the same name
once spelling tricks are undone. Through the real sign-up, log-in, join and ban."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from groups.models import Group, Membership
from moderation import services
from moderation.models import Case, EvasionSignal

from .conftest import post

PASSWORD = "a long enough password 42"


@pytest.fixture
def open_group(db):
    from tests.factories import GroupFactory

    return GroupFactory(join_policy=Group.JoinPolicy.OPEN)


def _banned(moderator, member_factory, group, name="Jo Smith", ip="198.51.100.7"):
    """A member who used this browser (the returned client) and address, then was banned."""
    from tests.factories import MembershipFactory

    user = MembershipFactory(group=group, user__display_name=name).user
    browser = Client(REMOTE_ADDR=ip)
    browser.get("/")  # the browser gets its cookie
    r = browser.post("/accounts/login/", {"login": user.email, "password": "village-test"})
    assert r.status_code == 302
    browser.post("/accounts/logout/")
    msg = post(user, group, "rude words")
    case = services.report_message(user=member_factory(), message_id=msg.pk, reason="unkind").case
    services.case_act(actor=moderator, case_id=case.pk, kind="ban", reason="Repeated insults")
    assert Membership.objects.get(user=user, group=group).status == Membership.Status.BANNED
    return user, browser


def _sign_up(browser, email, name):
    r = browser.post(
        "/accounts/signup/",
        {"display_name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert r.status_code == 302, r.content[:300]
    from accounts.models import User

    return User.objects.get(email=email)


def _join(user, group):
    from groups.services import membership_join

    return membership_join(user=user, group=group)


@pytest.mark.parametrize(
    "how, reasons",
    [
        ("same browser", ["device"]),
        ("same address", ["address"]),
        ("same name", ["name"]),
    ],
)
def test_a_banned_members_new_account_is_flagged_for_review(
    moderator, make_member, group, open_group, how, reasons
):
    banned, their_browser = _banned(moderator, make_member, group)
    if how == "same browser":
        browser, name = their_browser, "Rosie"
        browser.defaults["REMOTE_ADDR"] = "203.0.113.99"
    elif how == "same address":
        browser, name = Client(REMOTE_ADDR="198.51.100.7"), "Rosie"
    else:
        browser, name = Client(REMOTE_ADDR="203.0.113.50"), "J0  SM1TH"
    new = _sign_up(browser, "fresh@example.com", name)
    signal = EvasionSignal.objects.get(user=new)
    assert signal.banned_id == banned.pk and signal.reasons.split(",") == reasons
    # Never blocked: they join and post like anyone new; the group's queue gets one item.
    _join(new, open_group)
    post(new, open_group, "hello all")
    cases = Case.objects.filter(kind=Case.Kind.EVASION, subject=new)
    assert [(c.group_id, c.status) for c in cases] == [(open_group.pk, Case.Status.OPEN)]


def test_the_item_shows_on_the_moderators_queue(moderator, make_member, group, open_group):
    _banned_user, browser = _banned(moderator, make_member, group)
    new = _sign_up(browser, "fresh@example.com", "Rosie")
    _join(new, open_group)
    mod = Client()
    mod.force_login(moderator)
    page = mod.get("/moderation/").content.decode()
    assert "May be a banned member&#x27;s new account" in page or "banned member" in page
    assert "Rosie" in page
    assert "fresh@example.com" not in page  # never an email address


def test_unrelated_new_accounts_are_left_alone(moderator, make_member, group, open_group):
    _banned(moderator, make_member, group)
    new = _sign_up(Client(REMOTE_ADDR="203.0.113.8"), "someone@example.com", "Priya")
    _join(new, open_group)
    assert not EvasionSignal.objects.filter(user=new).exists()
    assert not Case.objects.filter(kind=Case.Kind.EVASION).exists()


def test_an_address_from_weeks_ago_is_not_a_signal(moderator, make_member, group):
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        _banned(moderator, make_member, group)
    new = _sign_up(Client(REMOTE_ADDR="198.51.100.7"), "later@example.com", "Priya")
    assert not EvasionSignal.objects.filter(user=new).exists()


def test_deleting_the_new_account_takes_its_sightings_and_signal(moderator, make_member, group):
    from accounts.models import DeviceSighting
    from accounts.services import account_delete

    _banned_user, browser = _banned(moderator, make_member, group)
    new = _sign_up(browser, "fresh@example.com", "Rosie")
    uid = new.pk
    assert DeviceSighting.objects.filter(user_id=uid).exists()
    assert EvasionSignal.objects.filter(user_id=uid).exists()
    account_delete(user=new, password=PASSWORD)
    assert not DeviceSighting.objects.filter(user_id=uid).exists()
    assert not EvasionSignal.objects.filter(user_id=uid).exists()

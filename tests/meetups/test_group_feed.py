"""A private subscription link for a group's calendar (defect 9: the group feed needed a log-in,
so no calendar app could subscribe). Revocable, and it stops when the member leaves."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from groups.models import Membership

pytestmark = pytest.mark.django_db


def _link(client, group) -> str:
    page = client.get(f"/groups/{group.slug}/meetups/settings/").content.decode()
    return re.search(r'id="group-feed-url" type="text" readonly value="([^"]+)"', page).group(1)


def test_a_calendar_app_can_follow_the_group_without_logging_in(member, london_group):
    group = london_group
    browser = Client()
    browser.force_login(member)
    url = _link(browser, group)
    assert "/meetups/group-feed/" in url
    app = Client()  # a calendar app: no cookies, no log-in
    r = app.get(url.replace("http://testserver", ""))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in r.content
    # The logged-in download still needs a log-in.
    assert app.get(f"/groups/{group.slug}/meetups.ics").status_code in (302, 403)


def test_a_new_link_stops_the_old_one(member, london_group):
    group = london_group
    browser = Client()
    browser.force_login(member)
    old = _link(browser, group).replace("http://testserver", "")
    browser.post(f"/groups/{group.slug}/meetups/settings/", {"what": "group_feed"})
    new = _link(browser, group).replace("http://testserver", "")
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_leaving_the_group_stops_the_link(member, london_group):
    group = london_group
    browser = Client()
    browser.force_login(member)
    url = _link(browser, group).replace("http://testserver", "")
    Membership.objects.filter(user=member, group=group).update(status=Membership.Status.REMOVED)
    assert Client().get(url).status_code == 404
    assert Client().get("/meetups/group-feed/not-a-real-token.ics").status_code == 404


def test_the_link_never_reaches_the_logs(member, london_group, caplog):
    group = london_group
    browser = Client()
    browser.force_login(member)
    url = _link(browser, group).replace("http://testserver", "")
    token = url.rsplit("/", 1)[-1].removesuffix(".ics")
    Membership.objects.filter(user=member, group=group).update(status=Membership.Status.REMOVED)
    caplog.set_level(logging.INFO)
    Client().get(url)  # a 404: logged as "Not Found", with the token masked
    assert not [r for r in caplog.records if token in r.getMessage()]

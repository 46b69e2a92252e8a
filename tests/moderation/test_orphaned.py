"""The orphaned-group job: only groups that really have nobody looking after them, and
exactly once per episode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from groups import services as group_services
from groups.models import Membership
from moderation import services
from moderation.models import Case
from notifications.models import Notification
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def group_aged(days=60):
    return GroupFactory(created_at=NOW - days * DAY)


def facilitator(group, *, last_login_days_ago):
    m = MembershipFactory(group=group, role="facilitator")
    m.user.last_login = NOW - last_login_days_ago * DAY
    m.user.save(update_fields=["last_login"])
    return m


def run(at=NOW) -> int:
    return services.groups_needing_facilitator_raise(now=at)


def orphan_cases(group):
    return Case.objects.filter(kind="orphaned", group=group)


def test_only_groups_that_really_have_nobody(moderator, staff):
    quiet = group_aged()
    facilitator(quiet, last_login_days_ago=30)
    busy = group_aged()
    facilitator(busy, last_login_days_ago=30)
    facilitator(busy, last_login_days_ago=2)  # a co-facilitator who is around
    nobody = group_aged()
    MembershipFactory(group=nobody)  # members, no facilitator at all
    young = group_aged(days=5)  # too new to judge
    assert run() == 2
    assert orphan_cases(quiet).count() == 1 and orphan_cases(nobody).count() == 1
    assert not orphan_cases(busy).exists() and not orphan_cases(young).exists()
    case = orphan_cases(quiet).get()
    assert case.last_activity == NOW - 30 * DAY and case.is_open
    told = Notification.objects.filter(user=moderator, title__endswith="needs a facilitator")
    assert told.count() == 2
    assert Notification.objects.filter(user=staff, url=f"/moderation/case/{case.pk}/").exists()


def test_a_register_counts_as_activity():
    from meetups import services as meetups

    group = group_aged()
    fac = facilitator(group, last_login_days_ago=40)
    with time_machine.travel(NOW - 3 * DAY, tick=False):
        occ = meetups.one_off_create(
            group=group, by=fac.user, title="Meetup", on=(NOW - 3 * DAY).date(),
            start_time=datetime.min.time().replace(hour=10), allow_past=True,
            place=meetups.Place(venue_name="Hall"),
        )  # fmt: skip
        meetups.register_close(occurrence=occ, by=fac.user, now=occ.ends_at)
    assert run() == 0


def test_exactly_once_per_episode(moderator):
    group = group_aged()
    fac = facilitator(group, last_login_days_ago=30)
    assert run() == 1
    assert run(NOW + DAY) == 0  # still the same episode
    case = orphan_cases(group).get()
    case.status = Case.Status.HANDLED  # a moderator closed it, nothing changed yet
    case.save()
    assert run(NOW + 2 * DAY) == 0
    # The facilitator comes back: the episode ends (and an open item would close itself).
    fac.user.last_login = NOW + 3 * DAY
    fac.user.save(update_fields=["last_login"])
    assert run(NOW + 3 * DAY) == 0
    assert orphan_cases(group).get().facts.get("episode_over") is True
    # ...and drifts away again: a new episode, a new item.
    assert run(NOW + 40 * DAY) == 1
    assert orphan_cases(group).count() == 2


def test_the_item_closes_itself_when_someone_steps_up(moderator):
    group = group_aged()
    facilitator(group, last_login_days_ago=30)
    run()
    member = MembershipFactory(group=group)
    member.user.last_login = NOW
    member.user.save(update_fields=["last_login"])
    group_services.membership_make_facilitator(membership=member, actor=moderator)
    run(NOW + DAY)
    case = orphan_cases(group).get()
    assert not case.is_open and case.facts["episode_over"]


def test_away_with_nobody_covering_counts_as_nobody(moderator):
    group = group_aged()
    fac = facilitator(group, last_login_days_ago=1)
    with time_machine.travel(NOW, tick=False):
        group_services.away_set(
            membership=Membership.objects.get(pk=fac.pk), starts_on=NOW.date(),
            ends_on=(NOW + 10 * DAY).date(), ask_moderators=True,
        )  # fmt: skip
        assert run() == 1
    other = group_aged()
    fac2 = facilitator(other, last_login_days_ago=1)
    co = facilitator(other, last_login_days_ago=1)
    with time_machine.travel(NOW, tick=False):
        group_services.away_set(
            membership=Membership.objects.get(pk=fac2.pk), starts_on=NOW.date(),
            ends_on=(NOW + 10 * DAY).date(), cover_user_id=co.user_id,
        )  # fmt: skip
        assert run() == 0  # covered: the co-facilitator is active


def test_the_queue_shows_the_item_with_its_last_activity(client, moderator):
    group = group_aged()
    facilitator(group, last_login_days_ago=30)
    run()
    client.force_login(moderator)
    text = client.get("/moderation/").content.decode()
    assert f"{group.name} needs a facilitator" in text
    assert "Last facilitator activity: 2 May 2026" in text
    assert f"/groups/{group.slug}/members/" in text


def test_a_moderator_promotes_a_member_who_steps_up(client, moderator):
    group = group_aged()
    facilitator(group, last_login_days_ago=30)
    run()
    volunteer = MembershipFactory(group=group)
    client.force_login(moderator)
    page = client.get(f"/groups/{group.slug}/members/").content.decode()
    assert f"/groups/{group.slug}/members/{volunteer.pk}/facilitator/" in page
    done = client.post(f"/groups/{group.slug}/members/{volunteer.pk}/facilitator/")
    assert done.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.role == Membership.Role.FACILITATOR
    volunteer.user.last_login = NOW
    volunteer.user.save(update_fields=["last_login"])
    run(NOW + DAY)
    assert not orphan_cases(group).get().is_open

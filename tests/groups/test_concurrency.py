"""Two people racing for the last place: the group-row lock lets exactly one in.

Needs real row locks, so it runs on PostgreSQL (as in .ci/run) and is skipped on SQLite.
"""

import threading

import pytest
from django.conf import settings
from django.db import connection

from groups import services
from groups.models import Membership
from tests.factories import GroupFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL row locks"),
]


@pytest.mark.django_db(transaction=True)
def test_last_place_goes_to_exactly_one_person():
    group = GroupFactory(member_limit=3)
    Membership.objects.bulk_create(
        [Membership(group=group, user=UserFactory(), status="active") for _ in range(2)]
    )
    racers = [UserFactory() for _ in range(4)]
    barrier = threading.Barrier(len(racers))
    results: list[str] = []

    def race(user):
        try:
            barrier.wait(timeout=10)
            services.membership_join(user=user, group=group)
            results.append("joined")
        except services.GroupError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["full", "full", "full", "joined"]
    assert Membership.objects.filter(group=group, status="active").count() == 3


@pytest.mark.parametrize("second", ["membership_leave", "membership_step_down"])
@pytest.mark.django_db(transaction=True)
def test_two_facilitators_stepping_away_at_once_cannot_both_go(second):
    group = GroupFactory()
    both = [
        Membership.objects.create(group=group, user=UserFactory(), role="facilitator").user
        for _ in range(2)
    ]
    barrier = threading.Barrier(len(both))
    results: list[str] = []
    how = {both[0].pk: services.membership_leave, both[1].pk: getattr(services, second)}

    def leave(user):
        try:
            barrier.wait(timeout=10)
            how[user.pk](user=user, group=group)
            results.append("left")
        except services.GroupError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=leave, args=(u,)) for u in both]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["last_facilitator", "left"]
    assert Membership.objects.facilitators().filter(group=group).count() == 1

from meetups import demo, selectors
from meetups.models import MeetupSeries
from tests.factories import GroupFactory, MembershipFactory


def test_demo_seed_is_idempotent_and_shows_a_drifter(db):
    group = GroupFactory(join_policy="open")
    MembershipFactory(group=group, role="facilitator")
    MembershipFactory(group=group)
    ctx = {"users": {}, "groups": {group.slug: group}}
    series = demo.seed(ctx)
    assert demo.seed(ctx) == series
    assert MeetupSeries.objects.count() == 1
    assert series.occurrences.filter(register_closed_at__isnull=False).count() >= 5
    assert {o.local_start.hour for o in series.occurrences.all()} == {19}
    grid = selectors.attendance_grid(group=group)
    assert [r.name for r in grid.drifting] == ["Chris"]

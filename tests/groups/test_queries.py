"""Page query counts stay the same as groups and members grow (3 vs 30)."""

import pytest
from django.urls import reverse

from groups.models import Topic
from tests.factories import GroupFactory, MembershipFactory, UserFactory

# Anonymous directory: count, groups with member counts, topics prefetch, topic and area
# choices for the filter form.
DIRECTORY_ANON = 5
# Group page for a member: session, user, own membership with its group, facilitators, member
# count, topics, the next meetup card (meetups app), the bell's unread count, the facilitators'
# own hours.
GROUP_PAGE_MEMBER = 9
# Home for a member: session, user, memberships with groups, unread counts, the bell.
HOME_MEMBER = 5


@pytest.fixture
def topics(db):
    return [Topic.objects.create(name=n, slug=n.lower()) for n in ("Dads", "SEND", "Carers")]


def _add_groups(n, topics):
    for _ in range(n):
        group = GroupFactory()
        group.topics.set(topics[:2])
        MembershipFactory.create_batch(2, group=group)


@pytest.mark.parametrize("extra", [0, 27])
def test_directory_queries_are_constant(client, topics, django_assert_num_queries, extra):
    _add_groups(3 + extra, topics)
    url = reverse("groups:directory")
    with django_assert_num_queries(DIRECTORY_ANON):
        response = client.get(url, {"q": "Parents"})
    assert len(response.context["groups"]) == min(20, 3 + extra)


@pytest.mark.parametrize("extra", [0, 27])
def test_group_page_queries_are_constant(client, topics, django_assert_num_queries, extra):
    group = GroupFactory()
    group.topics.set(topics)
    MembershipFactory.create_batch(3 + extra, group=group)
    MembershipFactory.create_batch(2, group=group, role="facilitator")
    member = MembershipFactory(group=group).user
    client.force_login(member)
    url = reverse("groups:detail", args=[group.slug])
    with django_assert_num_queries(GROUP_PAGE_MEMBER):
        response = client.get(url)
    assert response.context["page"].member_count == 3 + extra + 3


@pytest.mark.parametrize("extra", [0, 27])
def test_home_queries_are_constant(client, topics, django_assert_num_queries, extra):
    member = UserFactory()
    for _ in range(3 + extra):
        group = GroupFactory()
        MembershipFactory(group=group, user=member)
        MembershipFactory.create_batch(2, group=group)
    client.force_login(member)
    with django_assert_num_queries(HOME_MEMBER):
        response = client.get("/")
    assert len(response.context["my_groups"]) == 3 + extra


@pytest.mark.parametrize("extra", [0, 27])
def test_members_page_queries_are_constant(client, db, django_assert_num_queries, extra):
    group = GroupFactory()
    facilitator = MembershipFactory(group=group, role="facilitator").user
    MembershipFactory.create_batch(3 + extra, group=group)
    MembershipFactory.create_batch(3 + extra, group=group, status="pending")
    client.force_login(facilitator)
    with django_assert_num_queries(6):
        client.get(reverse("groups:members", args=[group.slug]))


# Members' own list: session, user, own membership with its group, the list, the bell's unread
# count.
PEOPLE_PAGE_MEMBER = 5


@pytest.mark.parametrize("extra", [0, 27])
def test_people_page_queries_are_constant(client, db, django_assert_num_queries, extra):
    group = GroupFactory()
    MembershipFactory.create_batch(2, group=group, role="facilitator")
    MembershipFactory.create_batch(3 + extra, group=group)
    MembershipFactory.create_batch(2, group=group, status="pending")
    member = MembershipFactory(group=group).user
    client.force_login(member)
    with django_assert_num_queries(PEOPLE_PAGE_MEMBER):
        response = client.get(reverse("groups:people", args=[group.slug]))
    assert len(response.context["people"]) == 2 + 3 + extra + 1

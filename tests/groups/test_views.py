"""The groups pages through the test client: directory, group page, joining, member management."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from groups import services
from groups.models import Group, Membership, Topic
from tests.factories import GroupFactory, MembershipFactory, UserFactory

S = Membership.Status


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def jo(db):
    return UserFactory(display_name="Jo", email="jo-secret@example.com")


@pytest.fixture
def hidden(jo):
    return services.group_create(
        name="Quiet carers", visibility="unlisted", join_policy="invite", facilitator=jo
    )


# --- directory ---------------------------------------------------------------------------------


def test_directory_search_and_filters(client, db):
    send = Topic.objects.create(name="SEND", slug="send")
    a = GroupFactory(name="Brierley Hill Circle", area="Dudley")
    b = GroupFactory(name="Online SEND Parents", area="Online")
    b.topics.add(send)
    GroupFactory(name="Secret Brierley", area="Dudley", visibility="unlisted")
    url = reverse("groups:directory")

    def names(**params):
        return [g.name for g in client.get(url, params).context["groups"]]

    assert names() == [a.name, b.name]
    assert names(q="brierley") == [a.name]
    assert names(topic="send") == [b.name]
    assert names(area="Dudley") == [a.name]
    assert names(q="secret") == []
    page = client.get(url, {"q": "nothing like this"})
    assert "We couldn't find a group like that yet." in page.content.decode()
    # The area filter offers only listed groups' areas (none leak from unlisted ones).
    assert client.get(url).context["form"].fields["area"].choices[1:] == [
        ("Dudley", "Dudley"),
        ("Online", "Online"),
    ]


def test_directory_bad_filter_values_do_not_break(client, db):
    GroupFactory(name="Circle")
    response = client.get(reverse("groups:directory"), {"topic": "nope", "page": "x"})
    assert response.status_code == 200


def test_unlisted_group_is_invisible_to_outsiders(client, hidden, user):
    detail = reverse("groups:detail", args=[hidden.slug])
    hidden_urls = [
        detail,
        reverse("groups:join", args=[hidden.slug]),
        reverse("groups:request", args=[hidden.slug]),
        reverse("groups:leave", args=[hidden.slug]),
        reverse("groups:members", args=[hidden.slug]),
    ]
    assert client.get(detail).status_code == 404
    client.force_login(user)
    for url in hidden_urls:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("groups:detail", args=["no-such-group"])).status_code == 404
    body = client.get(reverse("groups:directory"), {"q": "Quiet"}).content.decode()
    assert "Quiet carers" not in body
    assert "Quiet carers" not in client.get("/").content.decode()
    MembershipFactory(group=hidden, user=user)
    assert client.get(detail).status_code == 200


# --- group page ----------------------------------------------------------------------------


def test_group_page_shows_facilitators_names_never_emails(client, jo, user):
    group = services.group_create(name="Circle", facilitator=jo, house_rules="Be kind.")
    MembershipFactory(group=group)
    client.force_login(user)
    body = client.get(reverse("groups:detail", args=[group.slug])).content.decode()
    assert "Jo" in body and "jo-secret@example.com" not in body
    assert "2 members" in body and "Be kind." in body
    assert "Join this group" in body


@pytest.mark.parametrize(
    ("who", "shown", "hidden_text"),
    [
        ("anonymous", "Join this group", "Leave this group"),
        ("outsider", "Join this group", "Open the group chat"),
        ("member", "Open the group chat", "Join this group"),
        ("facilitator", "Members and requests", "Join this group"),
    ],
)
def test_group_page_buttons_follow_permissions(client, group, who, shown, hidden_text):
    if who != "anonymous":
        user = UserFactory()
        if who != "outsider":
            MembershipFactory(group=group, user=user, role=who)
        client.force_login(user)
    body = client.get(reverse("groups:detail", args=[group.slug])).content.decode()
    assert shown in body
    assert hidden_text not in body


def test_request_group_page_offers_ask_to_join(client, user):
    group = GroupFactory(join_policy="request")
    client.force_login(user)
    body = client.get(reverse("groups:detail", args=[group.slug])).content.decode()
    assert "Ask to join" in body and "Join this group" not in body


# --- joining and leaving --------------------------------------------------------------------


def test_join_flow_shows_house_rules_first(client, user):
    group = GroupFactory(house_rules="No selling, please.")
    url = reverse("groups:join", args=[group.slug])
    assert client.get(url).status_code == 302  # log in first
    client.force_login(user)
    confirm = client.get(url)
    assert "No selling, please." in confirm.content.decode()
    assert not Membership.objects.filter(user=user).exists()  # GET never joins
    response = client.post(url, follow=True)
    assert "Welcome to" in _messages(response)
    assert Membership.objects.get(user=user, group=group).status == S.ACTIVE


def test_join_twice_via_the_page_is_kind(client, group, member):
    client.force_login(member)
    response = client.post(reverse("groups:join", args=[group.slug]), follow=True)
    assert response.status_code == 200
    assert "already a member" in _messages(response)
    assert Membership.objects.filter(user=member, group=group).count() == 1


def test_full_group_says_so_on_the_page(client, user):
    group = GroupFactory(member_limit=1)
    MembershipFactory(group=group)
    client.force_login(user)
    body = client.get(reverse("groups:detail", args=[group.slug])).content.decode()
    assert "This group is full" in body
    response = client.post(reverse("groups:join", args=[group.slug]), follow=True)
    assert "full" in _messages(response)
    assert not Membership.objects.filter(user=user).exists()


def test_leave_and_leave_when_not_a_member(client, group, member, user):
    client.force_login(member)
    url = reverse("groups:leave", args=[group.slug])
    assert "Leave" in client.get(url).content.decode()
    client.post(url)
    assert Membership.objects.get(user=member, group=group).status == S.LEFT
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "not a member" in _messages(response)


def test_last_facilitator_is_told_kindly_and_stays(client, group, facilitator):
    client.force_login(facilitator)
    url = reverse("groups:leave", args=[group.slug])
    body = client.get(url).content.decode()
    assert "You're the only facilitator — make someone else a facilitator first." in body
    assert reverse("groups:members", args=[group.slug]) in body
    assert 'class="button button--danger"' not in body  # no leave button to press
    # Posting anyway (an old tab) changes nothing and lands on the same explanation.
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "make someone else a facilitator first" in response.content.decode()
    assert Membership.objects.get(user=facilitator, group=group).is_facilitator


def test_step_down_from_the_members_page(client, group, facilitator):
    client.force_login(facilitator)
    members_url = reverse("groups:members", args=[group.slug])
    body = client.get(members_url).content.decode()
    assert "You're the only facilitator" in body and "Step down as facilitator" not in body
    refused = client.post(reverse("groups:step_down", args=[group.slug]), follow=True)
    assert "make someone else a facilitator first" in _messages(refused)
    MembershipFactory(group=group, role="facilitator")
    assert "Step down as facilitator" in client.get(members_url).content.decode()
    response = client.post(reverse("groups:step_down", args=[group.slug]), follow=True)
    assert "ordinary member again" in _messages(response)
    mine = Membership.objects.get(user=facilitator, group=group)
    assert mine.is_active and mine.role == "member"
    # An ordinary member has nothing to step down from.
    assert client.post(reverse("groups:step_down", args=[group.slug])).status_code == 403


def test_request_form_keeps_answers_and_says_what_is_wrong(client, user, jo):
    group = services.group_create(
        name="SEND", join_policy="request", join_questions=["Age?", "Hopes?"], facilitator=jo
    )
    client.force_login(user)
    url = reverse("groups:request", args=[group.slug])
    response = client.post(url, {"answer_0": "My daughter is four", "answer_1": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "My daughter is four" in body and "Please answer this question." in body
    assert not Membership.objects.filter(user=user).exists()
    client.post(url, {"answer_0": "Four", "answer_1": "Friends"})
    assert Membership.objects.get(user=user, group=group).status == S.PENDING
    again = client.post(url, {"answer_0": "Four", "answer_1": "Friends"}, follow=True)
    assert "already asked" in _messages(again)


# --- facilitator's members page -----------------------------------------------------------------


@pytest.fixture
def with_request(jo, user):
    group = services.group_create(
        name="SEND", join_policy="request", join_questions=["Age?"], facilitator=jo
    )
    pending = services.membership_request(user=user, group=group, answers=["Six"])
    return group, pending


def test_members_page_is_for_facilitators(client, with_request, jo):
    group, _ = with_request
    member = MembershipFactory(group=group).user
    url = reverse("groups:members", args=[group.slug])
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(jo)
    body = client.get(url).content.decode()
    assert "Six" in body and "Say yes" in body
    assert member.email not in body and "@example.com" not in body


def test_approve_then_already_handled(client, with_request, jo, user):
    group, pending = with_request
    client.force_login(jo)
    url = reverse("groups:decide", args=[group.slug, pending.pk])
    response = client.post(url, {"decision": "approve", "message": "Hello!"}, follow=True)
    assert "We've let them know" in _messages(response)
    pending.refresh_from_db()
    assert pending.status == S.ACTIVE and pending.decision_message == "Hello!"
    again = client.post(url, {"decision": "decline"}, follow=True)
    assert "already been answered" in _messages(again)
    pending.refresh_from_db()
    assert pending.status == S.ACTIVE


def test_decline_via_page(client, with_request, jo):
    group, pending = with_request
    client.force_login(jo)
    client.post(reverse("groups:decide", args=[group.slug, pending.pk]), {"decision": "decline"})
    pending.refresh_from_db()
    assert pending.status == S.DECLINED


def test_facilitator_cannot_touch_another_groups_members(client, with_request):
    _, pending = with_request
    other_facilitator = UserFactory()
    other = services.group_create(name="Other", facilitator=other_facilitator)
    client.force_login(other_facilitator)
    for name in ("decide", "remove", "make_facilitator"):
        response = client.post(
            reverse(f"groups:{name}", args=[other.slug, pending.pk]), {"decision": "approve"}
        )
        assert response.status_code == 404, name
    pending.refresh_from_db()
    assert pending.status == S.PENDING


def test_remove_confirm_then_ban(client, group, facilitator):
    target = MembershipFactory(group=group)
    client.force_login(facilitator)
    url = reverse("groups:remove", args=[group.slug, target.pk])
    assert "Remove" in client.get(url).content.decode()
    target.refresh_from_db()
    assert target.status == S.ACTIVE  # GET never removes
    client.post(url, {"ban": "on"})
    target.refresh_from_db()
    assert target.status == S.BANNED


def test_moderator_can_remove_but_not_approve(client, group, moderator):
    target = MembershipFactory(group=group)
    client.force_login(moderator)
    assert client.get(reverse("groups:members", args=[group.slug])).status_code == 200
    client.post(reverse("groups:remove", args=[group.slug, target.pk]), {})
    target.refresh_from_db()
    assert target.status == S.REMOVED
    pending = MembershipFactory(group=group, status=S.PENDING)
    response = client.post(
        reverse("groups:decide", args=[group.slug, pending.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403


def test_make_facilitator_via_page(client, group, facilitator):
    target = MembershipFactory(group=group)
    client.force_login(facilitator)
    client.post(reverse("groups:make_facilitator", args=[group.slug, target.pk]))
    target.refresh_from_db()
    assert target.is_facilitator


# --- invites ------------------------------------------------------------------------------------


def test_invite_create_link_and_revoke(client, hidden, jo, user):
    client.force_login(jo)
    client.post(reverse("groups:invite_create", args=[hidden.slug]), {"days": "7"})
    invite = hidden.invites.get()
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    page = client.get(reverse("groups:members", args=[hidden.slug])).content.decode()
    assert f"/groups/invite/{invite.token}/" in page
    # An outsider follows the link and joins the unlisted group.
    client.force_login(user)
    landing = client.get(reverse("groups:invite", args=[invite.token]))
    assert landing.status_code == 200 and "Quiet carers" in landing.content.decode()
    client.post(reverse("groups:invite", args=[invite.token]))
    assert Membership.objects.get(user=user, group=hidden).status == S.ACTIVE
    # Revoked: the next person is told kindly.
    client.force_login(jo)
    client.post(reverse("groups:invite_revoke", args=[hidden.slug, invite.pk]))
    client.force_login(UserFactory())
    revoked = client.get(reverse("groups:invite", args=[invite.token]))
    assert revoked.status_code == 410
    assert "switched off" in revoked.content.decode()


def test_expired_invite_landing_says_so(client, hidden, jo):
    invite = services.invite_create(group=hidden, created_by=jo, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client.get(reverse("groups:invite", args=[invite.token]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert client.get(reverse("groups:invite", args=["made-up"])).status_code == 404


def test_invite_landing_asks_visitors_to_log_in_first(client, hidden, jo):
    invite = services.invite_create(group=hidden, created_by=jo)
    body = client.get(reverse("groups:invite", args=[invite.token])).content.decode()
    assert "Sign up" in body and "Log in" in body
    response = client.post(reverse("groups:invite", args=[invite.token]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_invite_landing_knows_members_and_requesters(client, jo):
    group = services.group_create(
        name="Tuesday circle", join_policy="request", join_questions=["Hello?"], facilitator=jo
    )
    invite = services.invite_create(group=group, created_by=jo)
    url = reverse("groups:invite", args=[invite.token])
    member = MembershipFactory(group=group).user
    client.force_login(member)
    body = client.get(url).content.decode()
    assert "You're already a member — open the group" in body
    assert reverse("groups:detail", args=[group.slug]) in body
    assert "I agree, join this group" not in body
    # Someone who asked sees where their request stands, and may still use the invite.
    asker = UserFactory()
    services.membership_request(user=asker, group=group, answers=["Hi"])
    client.force_login(asker)
    body = client.get(url).content.decode()
    assert "your request is still waiting for a facilitator" in body
    assert "I agree, join this group" in body
    client.post(url)
    assert Membership.objects.get(user=asker, group=group).status == S.ACTIVE
    # Someone banned is told plainly, with nothing to press.
    banned = MembershipFactory(group=group, status=S.BANNED).user
    client.force_login(banned)
    body = client.get(url).content.decode()
    assert "can't join this group" in body and "I agree, join this group" not in body


def test_invite_landing_says_a_full_group_is_full_before_anyone_tries(client, hidden, jo, user):
    hidden.member_limit = 1  # Jo fills it
    hidden.save()
    invite = services.invite_create(group=hidden, created_by=jo)
    url = reverse("groups:invite", args=[invite.token])
    client.force_login(user)
    body = client.get(url).content.decode()
    assert "this group is full at the moment" in body
    assert "I agree, join this group" not in body
    response = client.post(url)  # an old tab: still refused, kindly
    assert "full" in response.content.decode()
    assert not Membership.objects.filter(user=user, group=hidden).exists()


# --- the members' own list ------------------------------------------------------------------------


def test_members_see_who_is_here_names_only(client, jo):
    group = services.group_create(name="Walk and talk", facilitator=jo)
    sam = UserFactory(
        display_name="Sam", email="sam-private@example.com", about="Mum of twins, loves walks."
    )
    services.membership_join(user=sam, group=group)
    nickname = UserFactory(display_name="Sunny", email="real.name@example.com")
    services.membership_join(user=nickname, group=group)
    left = UserFactory(display_name="Gone Person")
    services.membership_join(user=left, group=group)
    services.membership_leave(user=left, group=group)
    pending = UserFactory(display_name="Waiting Person")
    MembershipFactory(group=group, user=pending, status=S.PENDING, joined_at=None)

    client.force_login(sam)
    detail = client.get(reverse("groups:detail", args=[group.slug])).content.decode()
    url = reverse("groups:people", args=[group.slug])
    assert url in detail
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    names = [p.name for p in response.context["people"]]
    assert names == ["Jo", "Sam", "Sunny"]  # facilitators first, then by name
    assert [p.is_facilitator for p in response.context["people"]] == [True, False, False]
    assert "Facilitator" in body and "(you)" in body
    assert "Mum of twins, loves walks." in body  # "about me" is for other members to see
    assert "@" not in body.split("<main", 1)[-1]  # no email anywhere on the page
    assert "Gone Person" not in body and "Waiting Person" not in body


@pytest.mark.parametrize("who", ["anonymous", "outsider", "pending", "left", "banned"])
def test_people_page_is_closed_to_non_members(client, jo, who):
    group = services.group_create(name="Open circle", facilitator=jo)
    url = reverse("groups:people", args=[group.slug])
    if who != "anonymous":
        person = UserFactory()
        if who != "outsider":
            MembershipFactory(group=group, user=person, status=who)
        client.force_login(person)
    response = client.get(url)
    if who == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    else:
        assert response.status_code == 403
        assert "Jo" not in response.content.decode()


def test_people_page_of_unlisted_group_is_404_for_outsiders(client, hidden, user):
    client.force_login(user)
    assert client.get(reverse("groups:people", args=[hidden.slug])).status_code == 404
    member = MembershipFactory(group=hidden).user
    client.force_login(member)
    assert client.get(reverse("groups:people", args=[hidden.slug])).status_code == 200


def test_member_cannot_manage_invites(client, hidden):
    member = MembershipFactory(group=hidden).user
    client.force_login(member)
    response = client.post(reverse("groups:invite_create", args=[hidden.slug]), {"days": "7"})
    assert response.status_code == 403
    assert not hidden.invites.exists()


# --- create and edit -----------------------------------------------------------------------------


def _group_form(**overrides):
    data = {
        "name": "Stourbridge Dads",
        "description": "Dads' walk and talk.",
        "area": "Stourbridge",
        "meeting_mode": "in_person",
        "visibility": "listed",
        "join_policy": "request",
        "member_limit": "",
        "time_zone": "Europe/London",
        "house_rules": "Be kind.",
        "question_1": "How old are your children?",
        "question_2": "",
        "question_3": "",
        "facilitate": "1",
    }
    data.update(overrides)
    return data


def test_staff_create_groups_others_cannot(client, staff, member):
    url = reverse("groups:create")
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    bad = client.post(url, _group_form(name="", time_zone="Mars/Base"))
    assert bad.status_code == 200
    assert "Dads&#x27; walk and talk." in bad.content.decode()  # typed text kept
    assert not Group.objects.filter(area="Stourbridge").exists()
    client.post(url, _group_form())
    group = Group.objects.get(name="Stourbridge Dads")
    assert group.slug == "stourbridge-dads"
    assert group.join_questions == ["How old are your children?"]
    assert Membership.objects.get(group=group, user=staff).is_facilitator


def test_facilitator_edits_their_group_only(client, group, facilitator):
    other = GroupFactory()
    client.force_login(facilitator)
    assert client.get(reverse("groups:edit", args=[other.slug])).status_code == 403
    client.post(reverse("groups:edit", args=[group.slug]), _group_form(name="Renamed"))
    group.refresh_from_db()
    assert group.name == "Renamed" and group.slug != "renamed"  # links keep working


# --- home ------------------------------------------------------------------------------------


def test_home_logged_out_welcomes_and_shows_some_groups(client, db):
    GroupFactory(name="Brierley Hill Circle")
    body = client.get("/").content.decode()
    assert "You don't have to do this on your own." in body
    assert "Brierley Hill Circle" in body


def test_home_shows_my_groups_with_unread_counts(client, group, member):
    from chat.models import Message, Room

    other = MembershipFactory(group=group).user
    room = Room.objects.create(group=group, last_seq=3)
    for seq in (1, 2, 3):
        Message.objects.create(room=room, seq=seq, author=other, body="hi")
    pending_group = GroupFactory(name="Waiting room", join_policy="request")
    MembershipFactory(group=pending_group, user=member, status=S.PENDING)
    client.force_login(member)
    response = client.get("/")
    body = response.content.decode()
    assert group.name in body
    [item] = response.context["my_groups"]
    assert item.unread == 3
    assert "Waiting for an answer" in body and "Waiting room" in body


def test_home_with_no_groups_points_to_the_directory(client, user):
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Find a group" in body and "not in a group yet" in body


def test_home_tells_facilitators_who_is_waiting(client, with_request, jo, user):
    group, _ = with_request
    MembershipFactory(group=GroupFactory(), user=jo)  # a group where Jo is only a member
    client.force_login(jo)
    response = client.get("/")
    waiting = {item.group.pk: item.waiting for item in response.context["my_groups"]}
    assert waiting[group.pk] == 1 and sorted(waiting.values()) == [0, 1]
    assert "1 person is asking to join" in response.content.decode()
    client.force_login(user)  # the requester sees their request as waiting, not a count
    assert "Waiting for an answer" in client.get("/").content.decode()

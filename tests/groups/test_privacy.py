"""Groups' part of the data export and account deletion."""

from accounts import privacy
from groups import services
from groups.models import Invite, Membership
from tests.factories import GroupFactory, MembershipFactory, UserFactory


def test_groups_register_with_the_privacy_registry():
    assert "groups" in privacy.exporters() and "groups" in privacy.erasers()


def test_export_holds_only_the_members_own_rows(db):
    me, someone = UserFactory(), UserFactory()
    group = GroupFactory(name="Circle", join_policy="request", join_questions=["Age?"])
    jo = MembershipFactory(group=group, role="facilitator").user
    MembershipFactory(group=group, user=someone)
    mine = services.membership_request(user=me, group=group, answers=["Four"])
    services.membership_approve(membership=mine, actor=jo, message="Welcome")
    exported = privacy.exporters()["groups"](me)
    assert exported == [
        {
            "group": "Circle",
            "role": "member",
            "status": "active",
            "asked_or_added_at": exported[0]["asked_or_added_at"],
            "joined_at": exported[0]["joined_at"],
            "answers_when_asking_to_join": [{"question": "Age?", "answer": "Four"}],
            "message_from_facilitators": "Welcome",
            "time_away": [],
        }
    ]
    text = repr(exported)
    assert someone.display_name not in text and jo.display_name not in text


def test_erase_leaves_groups_wipes_answers_and_keeps_bans(db, django_capture_on_commit_callbacks):
    me = UserFactory()
    active = MembershipFactory(user=me, role="facilitator")
    pending = MembershipFactory(user=me, status="pending", request_answers=[{"q": "a"}])
    banned = MembershipFactory(user=me, status="banned")
    invite = services.invite_create(group=active.group, created_by=me)
    with django_capture_on_commit_callbacks() as callbacks:
        privacy.erasers()["groups"](me)
    cut_offs = [c for c in callbacks if "send_to_user_on_commit" in c.__qualname__]
    assert len(cut_offs) == 1  # only the active membership had a chat to cut off
    statuses = dict(Membership.objects.filter(user=me).values_list("pk", "status"))
    assert statuses == {active.pk: "left", pending.pk: "left", banned.pk: "banned"}
    assert not Membership.objects.filter(user=me).exclude(request_answers=[]).exists()
    assert not Membership.objects.filter(user=me, role="facilitator").exists()
    assert Invite.objects.get(pk=invite.pk).created_by is None

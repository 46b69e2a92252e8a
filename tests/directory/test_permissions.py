"""The permission matrix over HTTP for referrals and local entries: member, other member,
facilitator of this group and of another, moderator, anonymous, and the service's link."""

import pytest
from django.urls import reverse

from directory import services
from directory.models import Referral, Service
from groups.models import Membership
from tests.factories import GroupFactory, MembershipFactory, UserFactory

from .conftest import make_service

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "other_member", "facilitator", "group_facilitator",
         "other_facilitator", "moderator", "staff"]


@pytest.fixture
def cast(db):
    group, elsewhere = GroupFactory(), GroupFactory()
    F = Membership.Role.FACILITATOR
    people = {
        "anonymous": None,
        "member": MembershipFactory(group=group).user,
        "other_member": MembershipFactory(group=group).user,
        "facilitator": MembershipFactory(group=group, role=F).user,
        "group_facilitator": MembershipFactory(group=group, role=F).user,
        "other_facilitator": MembershipFactory(group=elsewhere, role=F).user,
        "moderator": UserFactory(is_moderator=True),
        "staff": UserFactory(is_staff=True),
    }
    return group, people


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


def _code(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return "login"
    return str(response.status_code)


def _row(text):
    return dict(zip(ROLES, text.split(), strict=True))


@pytest.fixture
def referral(cast):
    group, people = cast
    service = make_service("Hub", email="hub@example.org")
    ref = services.referral_offer(facilitator=people["facilitator"], group=group,
                                  member=people["member"], service=service)
    return ref


#                                anon  memb omem faci gfac ofac mod  staf
REFERRAL_PAGE = "login 200  404  200  404  404  200  200"
CONSENT_POST  = "login 200  404  403  404  404  403  403"
WITHDRAW_POST = "login 302  404  403  404  404  403  403"


def test_who_sees_a_referral(client, cast, referral):
    _, people = cast
    url = reverse("directory:referral", args=[referral.pk])
    for role, expected in _row(REFERRAL_PAGE).items():
        _as(client, people[role])
        assert _code(client.get(url)) == expected, role
    # A referral that does not exist looks the same as one you may not see.
    _as(client, people["other_member"])
    assert client.get(reverse("directory:referral", args=[referral.pk + 99])).status_code == 404


def test_only_the_member_consents_or_withdraws(client, cast, referral):
    _, people = cast
    url = reverse("directory:referral", args=[referral.pk])
    for role, expected in _row(CONSENT_POST).items():
        _as(client, people[role])
        got = client.post(url, {"shared_name": "x", "shared_contact": "y", "step": "preview"})
        assert _code(got) == expected, role
    for role, expected in _row(WITHDRAW_POST).items():
        if role == "member":
            continue
        _as(client, people[role])
        assert _code(client.post(reverse("directory:withdraw", args=[referral.pk]))) == expected
    assert Referral.objects.get().status == "offered"
    _as(client, people["member"])
    assert _code(client.post(reverse("directory:withdraw", args=[referral.pk]))) == "302"
    assert Referral.objects.get().status == "withdrawn"


def test_the_service_link_opens_only_its_own_answer_page(client, cast, referral, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    import re

    _, people = cast
    text = services.consent_text(service=referral.service, shared_name="Sam",
                                 shared_contact="07700 900123", note="")
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_consent(member=people["member"], referral=referral, shared_name="Sam",
                                  shared_contact="07700 900123", note="", shown_text=text)
    token = re.search(r"/help/answer/(\S+)/", mailoutbox[-1].body).group(1)
    client.logout()
    assert client.get(reverse("directory:answer", args=[token])).status_code == 200
    # The link is not a key to anything else: the referral page still needs the member.
    assert _code(client.get(reverse("directory:referral", args=[referral.pk]))) == "login"
    assert _code(client.get(reverse("directory:referrals"))) == "login"


def test_only_facilitators_of_the_group_offer_referrals(client, cast):
    group, people = cast
    service = make_service("Hub", email="hub@example.org")
    url = reverse("directory:offer", args=[service.uuid])
    data = {"to": f"{group.pk}:{people['member'].pk}"}
    #          anon  memb omem faci gfac ofac mod  staf
    expected = "login 403  403  302  302  403  403  403"
    for role, code in _row(expected).items():
        _as(client, people[role])
        assert _code(client.post(url, data)) == code, role
    assert Referral.objects.count() == 2
    # Never to someone outside the group.
    _as(client, people["facilitator"])
    client.post(url, {"to": f"{group.pk}:{people['other_facilitator'].pk}"})
    assert Referral.objects.count() == 2


#                           anon  memb omem faci gfac ofac mod  staf
LOCAL_GROUP_ONLY_PAGE = "login 200  200  200  200  404  200  200"
LOCAL_NEW_PAGE        = "login 403  403  200  200  403  403  200"
LOCAL_EDIT_PAGE       = "login 403  403  200  200  404  403  200"
APPROVALS_PAGE        = "login 403  403  403  403  403  200  200"


def test_local_entries(client, cast):
    group, people = cast
    entry = make_service("Health visitor drop-in", group=group)
    pages = {
        LOCAL_GROUP_ONLY_PAGE: reverse("directory:service", args=[entry.uuid]),
        LOCAL_NEW_PAGE: reverse("directory:local_new", args=[group.slug]),
        LOCAL_EDIT_PAGE: reverse("directory:local_edit", args=[entry.uuid]),
        APPROVALS_PAGE: reverse("directory:approvals"),
    }
    for table, url in pages.items():
        for role, expected in _row(table).items():
            _as(client, people[role])
            assert _code(client.get(url)) == expected, (url, role)


def test_a_facilitator_adds_an_entry_a_moderator_shares_it(client, cast):
    group, people = cast
    _as(client, people["facilitator"])
    response = client.post(reverse("directory:local_new", args=[group.slug]), {
        "name": "Tuesday health visitor drop-in", "phone": "01384 000111",
        "days": ["TU"], "opens_at": "10:00", "closes_at": "12:00",
        "minimum_age": "0", "maximum_age": "5", "share_with_everyone": "on",
    })
    assert response.status_code == 302
    entry = Service.objects.get(name="Tuesday health visitor drop-in")
    assert entry.group == group and entry.sharing == "asked"
    assert entry.schedules.get().byday == "TU"
    url = reverse("directory:service", args=[entry.uuid])
    _as(client, people["other_facilitator"])
    assert client.get(url).status_code == 404
    _as(client, people["moderator"])
    assert "Tuesday health visitor" in client.get(reverse("directory:approvals")).content.decode()
    client.post(reverse("directory:approve", args=[entry.uuid]), {"decision": "approve"})
    _as(client, people["other_facilitator"])
    assert client.get(url).status_code == 200


def test_a_bad_local_entry_keeps_what_was_typed(client, cast):
    group, people = cast
    _as(client, people["facilitator"])
    response = client.post(reverse("directory:local_new", args=[group.slug]), {
        "name": "Food bank", "description": "Tuesdays at the church",
        "opens_at": "14:00", "closes_at": "10:00",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "It should close after it opens." in page
    assert 'value="Food bank"' in page and "Tuesdays at the church" in page
    assert not Service.objects.filter(name="Food bank").exists()

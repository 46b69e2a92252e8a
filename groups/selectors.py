"""Reads the groups pages need, with their joins explicit so query counts stay constant."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import FORMER_MEMBER

from .models import Group, Invite, Membership, Topic

S = Membership.Status
_ACTIVE = Q(memberships__status=S.ACTIVE)


def _with_counts(qs: QuerySet[Group]) -> QuerySet[Group]:
    return qs.annotate(member_count=Count("memberships", filter=_ACTIVE, distinct=True))


def group_directory(*, q: str = "", topic: str = "", area: str = "") -> QuerySet[Group]:
    """Listed groups, searched by name and filtered by topic slug and area, with member counts
    annotated and topics prefetched (two queries however many groups)."""
    groups = Group.objects.listed()
    q = q.strip()
    if q:
        groups = groups.filter(name__icontains=q)
    if topic:
        groups = groups.filter(topics__slug=topic)
    if area:
        groups = groups.filter(area__iexact=area.strip())
    return (
        _with_counts(groups)
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("name")))
        .order_by("name", "pk")
    )


def directory_topics() -> list[Topic]:
    return list(Topic.objects.order_by("name"))


def directory_areas() -> list[str]:
    """Areas of listed groups, for the filter (one query)."""
    return list(
        Group.objects.listed()
        .exclude(area="")
        .order_by("area")
        .values_list("area", flat=True)
        .distinct()
    )


@dataclass
class GroupPage:
    group: Group
    member_count: int
    facilitator_names: list[str]
    topics: list[Topic]


def group_page(*, group: Group) -> GroupPage:
    """Facilitators' display names (never emails), member count and topics: three queries."""
    facilitators = list(
        Membership.objects.facilitators()
        .filter(group=group)
        .order_by("joined_at", "pk")
        .values_list("user__display_name", flat=True)
    )
    return GroupPage(
        group=group,
        member_count=Membership.objects.filter(group=group, status=S.ACTIVE).count(),
        facilitator_names=[name or "" for name in facilitators],
        topics=list(group.topics.order_by("name")),
    )


@dataclass
class MemberLists:
    pending: list[Membership]
    members: list[Membership]
    invites: list[Invite]
    member_count: int = field(init=False)
    facilitator_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.member_count = len(self.members)
        self.facilitator_count = sum(
            1 for m in self.members if m.role == Membership.Role.FACILITATOR
        )


def member_management(*, group: Group) -> MemberLists:
    """What a facilitator's members page shows: requests, members and invite links."""
    rows = list(
        Membership.objects.filter(group=group, status__in=[S.PENDING, S.ACTIVE])
        .select_related("user")
        .only(
            "pk",
            "status",
            "role",
            "request_answers",
            "created_at",
            "joined_at",
            "muted_until",
            "group_id",
            "user__id",
            "user__display_name",
        )  # fmt: skip
        .order_by("-role", "user__display_name", "pk")
    )
    now = timezone.now()
    invites = list(
        Invite.objects.filter(group=group, revoked_at__isnull=True, expires_at__gt=now).order_by(
            "-created_at"
        )
    )
    return MemberLists(
        pending=sorted((m for m in rows if m.status == S.PENDING), key=lambda m: m.created_at),
        members=[m for m in rows if m.status == S.ACTIVE],
        invites=invites,
    )


@dataclass(frozen=True)
class Person:
    """One row of the members' own list: never an email, only the name they chose."""

    user_id: int
    name: str
    is_facilitator: bool
    about: str = ""  # the member's own "about me", which the profile says members see


def group_people(*, group: Group) -> list[Person]:
    """Everyone active in the group, facilitators first, then by name: one query, and only the
    display name and "about me" are read from the user table (emails never leave the database
    here)."""
    rows = (
        Membership.objects.active()
        .filter(group=group)
        .annotate(
            facilitating=Case(
                When(role=Membership.Role.FACILITATOR, then=0),
                default=1,
                output_field=IntegerField(),
            )
        )
        .order_by("facilitating", "user__display_name", "pk")
        .values_list("user_id", "user__display_name", "role", "user__about")
    )
    return [
        Person(
            user_id=user_id,
            name=name or str(FORMER_MEMBER),
            is_facilitator=role == Membership.Role.FACILITATOR,
            about=about or "",
        )
        for user_id, name, role, about in rows
    ]


def membership_in_group(*, group: Group, membership_id: int) -> Membership | None:
    """A membership row, scoped by group so one group's page can never touch another's."""
    return Membership.objects.select_related("user").filter(pk=membership_id, group=group).first()


def group_is_full(*, group: Group) -> bool:
    """Advisory (for pages): services check again under the group lock."""
    if group.member_limit is None:
        return False
    return Membership.objects.active().filter(group=group).count() >= group.member_limit


def is_last_facilitator(*, membership: Membership | None) -> bool:
    """Is this the group's only active facilitator? (One query, or none for other members.)
    Services ask under the group lock; pages ask beforehand to explain kindly."""
    if membership is None or not membership.is_facilitator:
        return False
    return not (
        Membership.objects.facilitators()
        .filter(group_id=membership.group_id)
        .exclude(pk=membership.pk)
        .exists()
    )


def groups_facilitated_alone(*, user) -> list[Group]:
    """The groups this member is the only active facilitator of, by name. One query."""
    others = Membership.objects.facilitators().filter(group_id=OuterRef("pk")).exclude(user=user)
    return list(
        Group.objects.filter(
            memberships__user=user,
            memberships__status=Membership.Status.ACTIVE,
            memberships__role=Membership.Role.FACILITATOR,
        )
        .exclude(Exists(others))
        .order_by("name", "pk")
    )


def invite_in_group(*, group: Group, invite_id: int) -> Invite | None:
    return Invite.objects.filter(pk=invite_id, group=group).first()


def invite_by_token(*, token: str) -> Invite | None:
    return Invite.objects.select_related("group").filter(token=token).first()


@dataclass
class MyGroup:
    group: Group
    membership: Membership
    unread: int

    @property
    def waiting(self) -> int:
        """People asking to join (only counted for facilitators)."""
        return getattr(self.membership, "waiting", 0)


def my_groups(*, user) -> tuple[list[MyGroup], list[Membership]]:
    """A member's groups (with unread chat counts) and their requests still waiting.

    Two queries: memberships with their groups (and, for groups the member facilitates, how
    many people are waiting for an answer), then unread counts from chat.
    """
    if not user.is_authenticated:
        return [], []
    waiting = (
        Membership.objects.filter(group=OuterRef("group"), status=S.PENDING)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        Membership.objects.filter(user=user, status__in=[S.ACTIVE, S.PENDING])
        .select_related("group")
        .annotate(
            waiting=Case(
                When(
                    role=Membership.Role.FACILITATOR,
                    status=S.ACTIVE,
                    then=Coalesce(Subquery(waiting, output_field=IntegerField()), 0),
                ),
                default=0,
                output_field=IntegerField(),
            )
        )
        .order_by("group__name", "pk")
    )
    active = [m for m in rows if m.status == S.ACTIVE]
    pending = [m for m in rows if m.status == S.PENDING]
    from .hooks import unread_counts  # chat's, registered at start-up

    unread = unread_counts(user=user, group_ids=[m.group_id for m in active])
    return [
        MyGroup(group=m.group, membership=m, unread=unread.get(m.group_id, 0)) for m in active
    ], pending


def directory_teaser(*, limit: int = 3) -> list[Group]:
    """A few listed groups for the logged-out home page."""
    return list(group_directory()[:limit])

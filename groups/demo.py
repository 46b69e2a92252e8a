"""Demo people and groups for `manage.py seed_demo`. Safe to run again: it finds what exists."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User

from . import services
from .models import Group, Invite, Membership, Topic

PASSWORD = "village-demo"

USERS = [
    {"email": "parent@example.com", "display_name": "Sam"},
    {"email": "parent2@example.com", "display_name": "Priya"},
    {"email": "facilitator@example.com", "display_name": "Jo"},
    {"email": "moderator@example.com", "display_name": "Alex", "is_moderator": True},
]

TOPICS = ["New parents", "SEND", "Dads", "Carers", "Feeding", "Mental health"]

HOUSE_RULES = (
    "Be kind. Everyone here is doing their best.\n"
    "What's shared in the group stays in the group.\n"
    "No selling, no judging, no medical advice: share what worked for you, and point people "
    "to their GP or health visitor for the rest.\n"
    "If you're worried about someone's safety, tell a facilitator straight away."
)

GROUPS = [
    {
        "name": "Brierley Hill Parents' Circle",
        "description": (
            "A relaxed weekly get-together for parents and carers of babies and toddlers in "
            "Brierley Hill. Tea, biscuits, a play mat for the little ones and people who get it. "
            "We chat here between meetups."
        ),
        "area": "Dudley",
        "meeting_mode": Group.MeetingMode.IN_PERSON,
        "visibility": Group.Visibility.LISTED,
        "join_policy": Group.JoinPolicy.OPEN,
        "topics": ["New parents", "Feeding"],
        "members": ["parent@example.com", "parent2@example.com"],
    },
    {
        "name": "SEND Parents Together",
        "description": (
            "For parents and carers of children with special educational needs and "
            "disabilities. Swap tips on EHCPs, appointments and school, or just be heard."
        ),
        "area": "Online",
        "meeting_mode": Group.MeetingMode.HYBRID,
        "visibility": Group.Visibility.LISTED,
        "join_policy": Group.JoinPolicy.REQUEST,
        "join_questions": [
            "How old is your child, and what support do they have at the moment?",
            "What are you hoping to get from the group?",
        ],
        "topics": ["SEND", "Mental health"],
        "members": [],
    },
    {
        "name": "Carers' Quiet Room",
        "description": (
            "A small, private group for parents who are also carers. Invite only, so it stays "
            "a quiet and trusted space."
        ),
        "area": "Online",
        "meeting_mode": Group.MeetingMode.ONLINE,
        "visibility": Group.Visibility.UNLISTED,
        "join_policy": Group.JoinPolicy.INVITE,
        "topics": ["Carers", "Mental health"],
        "members": [],
    },
]


def _user(spec: dict[str, Any]) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email=spec["email"]).first()
    if user is None:
        user = User.objects.create_user(spec["email"], PASSWORD, display_name=spec["display_name"])
    user.display_name = spec["display_name"]
    user.is_moderator = spec.get("is_moderator", False)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _ensure_member(user: User, group: Group) -> None:
    membership = Membership.objects.filter(user=user, group=group).first()
    if membership is not None and membership.status == Membership.Status.ACTIVE:
        return
    if membership is not None:
        membership.delete()  # demo only: start the row afresh
    Membership.objects.create(
        user=user, group=group, status=Membership.Status.ACTIVE, joined_at=timezone.now()
    )


def _ensure_facilitator(user: User, group: Group) -> None:
    Membership.objects.update_or_create(
        user=user,
        group=group,
        defaults={
            "role": Membership.Role.FACILITATOR,
            "status": Membership.Status.ACTIVE,
            "joined_at": timezone.now(),
        },
    )


@transaction.atomic
def seed() -> dict[str, dict[str, Any]]:
    """Create (or find) the demo people, topics and groups. Returns the context the other
    apps' `demo.seed(ctx)` hooks receive: {"users": {email: User}, "groups": {slug: Group}}."""
    users = {spec["email"]: _user(spec) for spec in USERS}
    topics = {
        name: Topic.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0]
        for name in TOPICS
    }
    facilitator = users["facilitator@example.com"]
    groups: dict[str, Group] = {}
    for spec in GROUPS:
        group = Group.objects.filter(name=spec["name"]).order_by("pk").first()
        if group is None:
            group = services.group_create(
                name=spec["name"],
                description=spec["description"],
                area=spec["area"],
                meeting_mode=spec["meeting_mode"],
                visibility=spec["visibility"],
                join_policy=spec["join_policy"],
                join_questions=spec.get("join_questions", ()),
                house_rules=HOUSE_RULES,
                topics=[topics[t] for t in spec["topics"]],
                created_by=facilitator,
                facilitator=facilitator,
            )
        _ensure_facilitator(facilitator, group)
        for email in spec["members"]:
            _ensure_member(users[email], group)
        groups[group.slug] = group

    send = next(g for g in groups.values() if g.join_policy == Group.JoinPolicy.REQUEST)
    priya = users["parent2@example.com"]
    if not Membership.objects.filter(user=priya, group=send).exists():
        services.membership_request(
            user=priya,
            group=send,
            answers=[
                "My son is 6 and waiting for an autism assessment.",
                "Someone to talk to who understands the waiting.",
            ],
        )
    quiet = next(g for g in groups.values() if g.visibility == Group.Visibility.UNLISTED)
    if not Invite.objects.filter(
        group=quiet, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists():
        services.invite_create(group=quiet, created_by=facilitator, days=30)
    return {"users": users, "groups": groups}

"""Personal data in groups: a member's own memberships (export) and what to wipe when they
delete their account (erase). Registered with accounts.privacy in GroupsConfig.ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.privacy import Notice
from realtime.events import UserEvent
from realtime.sender import send_to_user_on_commit

from . import selectors
from .models import FacilitatorAway, Invite, Membership


def export(user) -> list[dict]:
    """Only this member's own rows: which groups, their role and status, and what they wrote
    when asking to join. Never other members, never who decided."""
    rows = (
        Membership.objects.filter(user=user)
        .select_related("group")
        .prefetch_related("aways")
        .order_by("created_at")
    )
    return [
        {
            "group": m.group.name,
            "role": m.role,
            "status": m.status,
            "asked_or_added_at": m.created_at.isoformat(),
            "joined_at": m.joined_at.isoformat() if m.joined_at else None,
            "answers_when_asking_to_join": m.request_answers,
            "message_from_facilitators": m.decision_message,
            "time_away": [
                {"from": a.starts_on.isoformat(), "to": a.ends_on.isoformat()}
                for a in m.aways.all()
            ],
        }
        for m in rows
    ]


def warn(user) -> list[Notice]:
    """Before deleting an account: each group that would be left without a facilitator."""
    return [
        Notice(
            text=_(
                "You're the only facilitator of %(group)s. Without one, nobody can welcome new "
                "people or plan meetups there. You might like to make someone else a "
                "facilitator first."
            )
            % {"group": group.name},
            link_url=reverse("groups:members", kwargs={"slug": group.slug}),
            link_text=_("Choose a new facilitator for %(group)s") % {"group": group.name},
        )
        for group in selectors.groups_facilitated_alone(user=user)
    ]


def erase(user) -> None:
    """Runs inside the account-deletion transaction. Active and pending memberships become
    "left" (open chat sockets are cut off after commit); answers and messages are wiped.
    Bans stay, so deleting an account is not a way back into a group. Deletion is a legal
    duty and is never refused, so a group losing its last facilitator this way is reported to
    moderators and staff instead."""
    from .services import tell_staff_no_facilitator

    facilitated = []
    for membership in Membership.objects.select_for_update().filter(user=user):
        if membership.is_facilitator:
            facilitated.append(membership.group)
        was_active = membership.status == Membership.Status.ACTIVE
        if membership.status in (Membership.Status.ACTIVE, Membership.Status.PENDING):
            membership.status = Membership.Status.LEFT
        membership.role = Membership.Role.MEMBER
        membership.request_answers = []
        membership.decision_message = ""
        membership.save()
        if was_active:
            send_to_user_on_commit(
                user.pk, {"type": UserEvent.MEMBERSHIP_REVOKED, "group_id": membership.group_id}
            )
    Invite.objects.filter(created_by=user).update(created_by=None)
    FacilitatorAway.objects.filter(membership__user=user).delete()
    FacilitatorAway.objects.filter(cover=user).update(cover=None)
    for group in facilitated:
        tell_staff_no_facilitator(group=group)

"""Private check-ins: a conversation between one member and the facilitators of their group.

It is the human hand-over that "we missed you" promises ("a message from you could mean a
lot"), and the way a moderator reaches someone after a crisis alert. A check-in is a chat Room
with `member` set, so it has the room's guarantees (sequence, resume, outbox, idempotent
sends, screening) and goes through the same gate (groups.permissions.access_checkin). Who may
read it: the member, the group's facilitators, and site moderators and staff on safeguarding
grounds (the page tells the member so). Never member to member: that is a grooming route, and
the house rules say so.

A facilitator, moderator or staff member starts one with a member of the group; a member
starts their own ("message the facilitators"). There is one per member per group: starting
it again opens the same conversation.
"""

from __future__ import annotations

import logging

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.permissions import site_moderators

from .models import Message, Room

log = logging.getLogger(__name__)


def checkin_url(room: Room) -> str:
    return reverse("checkins:conversation", kwargs={"pk": room.pk})


def checkin_for(*, group: Group, member) -> Room | None:
    return Room.objects.checkins().filter(group=group, member=member).first()


def checkin_start(*, user, group: Group, member, source: str = "") -> Room:
    """The check-in between `member` and `group`'s facilitators, opened by `user` (the caller
    has asked groups.permissions.may_start_checkin). Starting it again opens the same one."""
    room, created = Room.objects.get_or_create(
        group=group, member=member, defaults={"started_by": user}
    )
    if created:
        log.info(
            "check-in %s opened in group %s by user %s (from %s)",
            room.pk,
            group.pk,
            user.pk,
            source or "unknown",
        )
    return room


def _answering(room: Room) -> set[int]:
    """Who hears from the member: the group's active facilitators, and any moderator or staff
    member who opened the check-in or has written in it."""
    ids = set(
        Membership.objects.facilitators()
        .filter(group_id=room.group_id, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    writers = set(
        Message.objects.filter(room=room)
        .exclude(author_id=room.member_id)
        .values_list("author_id", flat=True)
    )
    if room.started_by_id:
        writers.add(room.started_by_id)
    writers.discard(None)
    if writers:
        ids |= set(site_moderators().filter(pk__in=writers).values_list("pk", flat=True))
    return ids


def message_posted(message: Message, room: Room, author) -> None:
    """Tell the other side of the check-in (bell, email, push once it exists; quiet hours are
    the notifications app's). One unread notification per conversation at a time: a run of
    messages is one "you have a message", not one email each. Never the message text."""
    from notifications.models import Kind, Notification
    from notifications.services import notify

    if author.pk == room.member_id:
        to = _answering(room)
        title = _("%(name)s sent a private message to the facilitators of %(group)s") % {
            "name": author.public_name,
            "group": room.group.name,
        }
        body = _("Open Village to read it and reply.")
    else:
        member_active = Membership.objects.active().filter(
            group_id=room.group_id, user_id=room.member_id, user__is_active=True
        )
        to = {room.member_id} if member_active.exists() else set()
        title = _("The facilitators of %(group)s sent you a private message") % {
            "group": room.group.name
        }
        body = _(
            "Only you, the group's facilitators and Village's moderators can see it. Open "
            "Village to read it and reply."
        )
    to.discard(author.pk)
    if not to:
        return
    waiting = set(
        Notification.objects.filter(
            user_id__in=to, kind=Kind.CHECKIN, read_at__isnull=True, data__room=room.pk
        ).values_list("user_id", flat=True)
    )
    to -= waiting
    if to:
        notify(
            user_ids=to,
            kind=Kind.CHECKIN,
            title=title,
            body=body,
            url=checkin_url(room),
            group_id=room.group_id,
            data={"room": room.pk},
        )


def checkin_seen(*, user, room: Room) -> None:
    """The member (or a facilitator) opened the conversation: its bell items are read."""
    from notifications.models import Kind, Notification

    Notification.objects.filter(
        user=user, kind=Kind.CHECKIN, read_at__isnull=True, data__room=room.pk
    ).update(read_at=timezone.now())


def checkins_for(user) -> list[Room]:
    """The check-ins `user` takes part in: their own (in groups they still belong to) and,
    for a facilitator, those of their groups, most recent first, with `unread` counts."""
    from django.db.models import F

    from .selectors import with_unread

    if not user.is_authenticated:
        return []
    memberships = Membership.objects.active().filter(user=user)
    own_groups = memberships.values("group_id")
    led = memberships.filter(role=Membership.Role.FACILITATOR).values("group_id")
    rooms = with_unread(
        Room.objects.checkins()
        .filter(Q(member=user, group_id__in=own_groups) | Q(group_id__in=led))
        .select_related("group", "member"),
        user=user,
    ).annotate(last_at=Max("messages__created_at"))
    return list(rooms.order_by(F("last_at").desc(nulls_last=True), "-created_at"))

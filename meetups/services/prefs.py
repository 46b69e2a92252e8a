"""Members' choices: whether to get "we missed you" messages, their private calendar links,
and their answer to a "we missed you"."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from notifications.models import Kind

from .. import text
from ..models import CalendarFeed, GroupCalendarFeed, MeetupPrefs, NudgeReply, Occurrence
from .common import _notify_in_their_zones


def prefs_set(*, user, group: Group, nudges: bool) -> MeetupPrefs:
    prefs, _ = MeetupPrefs.objects.update_or_create(
        user=user, group=group, defaults={"nudges": nudges}
    )
    return prefs


def calendar_feed_for(*, user, renew: bool = False) -> CalendarFeed:
    """The member's private calendar link; `renew` makes a new one and the old stops working."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed and not renew:
        return feed
    if feed:
        feed.delete()
    return CalendarFeed.objects.create(user=user)


def group_feed_for(*, user, group: Group, renew: bool = False) -> GroupCalendarFeed:
    """The member's private subscription link for one group's calendar; `renew` replaces it."""
    feed = GroupCalendarFeed.objects.filter(user=user, group=group).first()
    if feed and not renew:
        return feed
    if feed:
        feed.delete()
    return GroupCalendarFeed.objects.create(user=user, group=group)


@transaction.atomic
def nudge_reply(*, occurrence: Occurrence, user, choice: str) -> NudgeReply:
    if choice not in NudgeReply.Choice.values:
        raise ValidationError(_("Please choose one of the two answers."))
    reply = NudgeReply.objects.filter(occurrence=occurrence, user=user).first()
    first_contact = choice == NudgeReply.Choice.CONTACT and (
        reply is None or reply.choice != NudgeReply.Choice.CONTACT
    )
    if reply is None:
        reply = NudgeReply(occurrence=occurrence, user=user)
    reply.choice = choice
    reply.created_at = timezone.now()
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:  # answered twice at once: the first answer stands
        return NudgeReply.objects.get(occurrence=occurrence, user=user)
    if first_contact:
        group = occurrence.group
        facilitators = (
            Membership.objects.facilitators()
            .filter(group=group)
            .values_list("user_id", "user__time_zone")
        )
        _notify_in_their_zones(
            list(facilitators),
            lambda zone: (
                _("%(name)s would like someone to get in touch") % {"name": user.public_name},
                _(
                    "%(name)s missed %(group)s on %(day)s and asked for someone to get in "
                    "touch. A private message from you could mean a lot: open it to write to "
                    "them."
                )
                % {
                    "name": user.public_name,
                    "group": group.name,
                    "day": text.day(text.start(occurrence, zone)),
                },
            ),
            kind=Kind.FACILITATOR,
            # Straight into a private check-in with them (chat's checkins pages).
            url=reverse("checkins:start")
            + f"?group={group.slug}&member={user.pk}&source=nudge",
            group_id=group.pk,
            urgent=True,
        )
    return reply

"""Small pieces the meetup services share: telling the people going about a change, on their
own clocks, and the link and row lock of one meetup."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse

from core import urls
from groups.models import Membership
from notifications.services import notify

from ..models import Occurrence, Rsvp


def absolute(path: str) -> str:
    return urls.absolute(path)


def _people_to_tell(occurrence: Occurrence) -> list[tuple[int, str]]:
    """(member, their time zone) for everyone going or maybe going."""
    return list(
        Rsvp.objects.filter(
            occurrence=occurrence,
            answer__in=[Rsvp.Answer.GOING, Rsvp.Answer.MAYBE],
            user__memberships__group_id=occurrence.group_id,
            user__memberships__status=Membership.Status.ACTIVE,
        ).values_list("user_id", "user__time_zone")
    )


def _notify_in_their_zones(people: list[tuple[int, str]], words, **common) -> None:
    """`notify` each member with times on their own clock: `words(zone)` gives the title and
    body for one time zone (one call per zone among them, not per member)."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for uid, zone in people:
        by_zone[zone].append(uid)
    for zone, uids in sorted(by_zone.items()):
        title, body = words(zone)
        notify(user_ids=uids, title=title, body=body, **common)


def occurrence_url(occurrence: Occurrence, name: str = "occurrence") -> str:
    slug = occurrence.group.slug
    return reverse(f"meetups:{name}", kwargs={"slug": slug, "pk": occurrence.pk})


def _lock(occurrence: Occurrence) -> Occurrence:
    return Occurrence.objects.select_for_update().select_related("group").get(pk=occurrence.pk)

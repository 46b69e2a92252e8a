"""RSVPs and the waiting list."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Kind

from .. import text
from ..models import Occurrence, Rsvp
from .common import _lock, _notify_in_their_zones, occurrence_url


def going_count(occurrence: Occurrence) -> int:
    return Rsvp.objects.filter(
        occurrence=occurrence, answer=Rsvp.Answer.GOING, waitlist_position__isnull=True
    ).count()


@transaction.atomic
def rsvp_set(
    *, occurrence: Occurrence, user, answer: str, message: str = "", now: datetime | None = None
) -> Rsvp:
    """Going / not sure / can't make it. With a capacity, "going" beyond it joins the waiting
    list; when a place frees up the first person waiting is promoted and told."""
    now = now or timezone.now()
    if answer not in Rsvp.Answer.values:
        raise ValidationError(_("Please choose going, not sure or can't make it."))
    occ = _lock(occurrence)  # serialises places and the waiting list
    if occ.is_cancelled:
        raise ValidationError(_("This meetup is cancelled, so there's nothing to answer."))
    if occ.ends_at <= now:
        raise ValidationError(_("This meetup has already happened."))
    rsvp = Rsvp.objects.filter(occurrence=occ, user=user).first()
    was_holding_place = bool(rsvp and rsvp.answer == Rsvp.Answer.GOING and not rsvp.waitlisted)
    if rsvp is None:
        rsvp = Rsvp(occurrence=occ, user=user)
    rsvp.answer = answer
    rsvp.message = message.strip()[:300]
    rsvp.updated_at = now
    if answer == Rsvp.Answer.GOING:
        full = occ.capacity is not None and going_count(occ) >= occ.capacity
        if not was_holding_place and not rsvp.waitlisted and full:
            last = Rsvp.objects.filter(occurrence=occ).aggregate(m=Max("waitlist_position"))["m"]
            rsvp.waitlist_position = (last or 0) + 1
    else:
        rsvp.waitlist_position = None
    rsvp.save()
    if was_holding_place and answer != Rsvp.Answer.GOING:
        _promote_from_waitlist(occ)
    return rsvp


def _promote_from_waitlist(occ: Occurrence) -> None:
    if occ.capacity is None:
        return
    free = occ.capacity - going_count(occ)
    if free <= 0:
        return
    lucky = list(
        Rsvp.objects.filter(occurrence=occ, waitlist_position__isnull=False)
        .order_by("waitlist_position")
        .values_list("pk", "user_id", "user__time_zone")[:free]
    )
    if not lucky:
        return
    Rsvp.objects.filter(pk__in=[pk for pk, _uid, _tz in lucky]).update(waitlist_position=None)
    _notify_in_their_zones(
        [(uid, tz) for _pk, uid, tz in lucky],
        lambda zone: (
            _("Good news: a place opened up at %(group)s") % {"group": occ.group.name},
            _("You're now going on %(when)s. If you can't make it after all, please let us know.")
            % {"when": text.when(occ, zone)},
        ),
        kind=Kind.WAITLIST,
        url=occurrence_url(occ),
        group_id=occ.group_id,
    )

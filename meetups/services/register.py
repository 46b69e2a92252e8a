"""The register and check-in: ticking people present, walk-ins, members checking themselves in
with the meetup's code, and closing (and reopening) the register."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import collapse_spaces, is_blank
from groups.models import Membership

from .. import rules
from ..models import Attendance, Occurrence
from .common import _lock

AUTO_CLOSE_AFTER = timedelta(hours=3)
CHECKIN_EARLY = timedelta(minutes=30)
CHECKIN_LATE = timedelta(minutes=30)
REGISTER_OPENS_BEFORE = timedelta(hours=1)


def _check_register_open(occ: Occurrence, now: datetime) -> None:
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if occ.register_closed:
        raise ValidationError(_("This register is closed."))
    if now < occ.starts_at - REGISTER_OPENS_BEFORE:
        raise ValidationError(_("The register opens an hour before the meetup."))


def _active_member_ids(group_id: int, user_ids) -> set[int]:
    return set(
        Membership.objects.active()
        .filter(group_id=group_id, user_id__in=list(user_ids))
        .values_list("user_id", flat=True)
    )


@transaction.atomic
def attendance_mark(*, occurrence: Occurrence, user_ids, by, now: datetime | None = None) -> int:
    """Tick members present. Idempotent: ticking twice is one row. Two queries whatever the
    number of people ticked. Returns how many new ticks."""
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    ids = _active_member_ids(occurrence.group_id, user_ids)
    if len(ids) != len(set(user_ids)):
        raise ValidationError(_("Only members of this group can be ticked."))
    created = Attendance.objects.bulk_create(
        [
            Attendance(occurrence_id=occurrence.pk, user_id=uid, marked_by=by, created_at=now)
            for uid in ids
        ],
        ignore_conflicts=True,
    )
    return len(created)


@transaction.atomic
def attendance_unmark(*, occurrence: Occurrence, user_ids, by, now: datetime | None = None) -> int:
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    deleted, _ = Attendance.objects.filter(
        occurrence=occurrence, user_id__in=list(user_ids)
    ).delete()
    return deleted


@transaction.atomic
def register_save(
    *,
    occurrence: Occurrence,
    present_ids,
    by,
    now: datetime | None = None,
    remove_walk_in: int | None = None,
) -> None:
    """The plain-form register: exactly these members are ticked present (walk-ins stay,
    except `remove_walk_in`, taken off because they were added by mistake)."""
    now = now or timezone.now()
    if remove_walk_in is not None:
        walk_in_remove(occurrence=occurrence, attendance_id=remove_walk_in, by=by, now=now)
    present = set(present_ids)
    attendance_mark(occurrence=occurrence, user_ids=present, by=by, now=now)
    Attendance.objects.filter(occurrence=occurrence, user__isnull=False).exclude(
        user_id__in=present
    ).delete()


@transaction.atomic
def walk_in_add(
    *, occurrence: Occurrence, name: str, by, now: datetime | None = None
) -> Attendance:
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    name = collapse_spaces(name)[:60]
    if is_blank(name):
        raise ValidationError(_("Please write the person's first name (or a nickname)."))
    return Attendance.objects.create(
        occurrence=occurrence, walk_in_name=name, source=Attendance.Source.WALK_IN, marked_by=by
    )


@transaction.atomic
def walk_in_remove(
    *, occurrence: Occurrence, attendance_id: int, by, now: datetime | None = None
) -> None:
    """Take a walk-in off the register (added by mistake, or twice)."""
    now = now or timezone.now()
    _check_register_open(occurrence, now)
    deleted, _counts = Attendance.objects.filter(
        pk=attendance_id, occurrence=occurrence, user__isnull=True
    ).delete()
    if not deleted:
        raise ValidationError(_("That person isn't on this register any more."))


#: How long after a meetup a facilitator can reopen its register to fix it. The same as how
#: long a "we missed you" can still go out, so a fix never starts a late round of messages.
REOPEN_WITHIN = rules.NUDGE_MAX_AGE


def can_reopen(occ: Occurrence, now: datetime) -> bool:
    return occ.register_closed and not occ.is_cancelled and now <= occ.ends_at + REOPEN_WITHIN


@transaction.atomic
def register_reopen(*, occurrence: Occurrence, by, now: datetime | None = None) -> Occurrence:
    """Open a closed register again to fix a mistake. Messages already sent stay sent (each
    member gets at most one nudge per meetup, ever); when it closes again, only people not
    yet told are considered."""
    now = now or timezone.now()
    occ = _lock(occurrence)
    if not occ.register_closed:
        return occ
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if now > occ.ends_at + REOPEN_WITHIN:
        raise ValidationError(
            _("This register can't be reopened any more: it's more than three days old.")
        )
    occ.register_closed_at = None
    occ.register_closed_by = None
    occ.register_reopened_at = now
    occ.save(update_fields=["register_closed_at", "register_closed_by", "register_reopened_at"])
    return occ


def checkin_open(occ: Occurrence, now: datetime) -> bool:
    return (
        not occ.is_cancelled
        and not occ.register_closed
        and occ.starts_at - CHECKIN_EARLY <= now <= occ.ends_at + CHECKIN_LATE
    )


@transaction.atomic
def self_check_in(
    *, occurrence: Occurrence, user, code: str, now: datetime | None = None
) -> Attendance:
    now = now or timezone.now()
    if not checkin_open(occurrence, now):
        raise ValidationError(
            _("Checking in opens half an hour before the meetup and closes half an hour after.")
        )
    cleaned = "".join(code.split()).upper()
    if not cleaned or cleaned != occurrence.checkin_code:
        raise ValidationError(_("That code doesn't match. Please check it with the facilitator."))
    if not _active_member_ids(occurrence.group_id, [user.pk]):
        raise ValidationError(_("Only members of this group can check in."))
    row, _created = Attendance.objects.get_or_create(
        occurrence=occurrence,
        user=user,
        defaults={"source": Attendance.Source.SELF_CHECKIN, "marked_by": user},
    )
    return row


@transaction.atomic
def register_close(*, occurrence: Occurrence, by, now: datetime | None = None) -> Occurrence:
    now = now or timezone.now()
    occ = _lock(occurrence)
    if occ.register_closed:
        return occ
    if occ.is_cancelled:
        raise ValidationError(_("This meetup was cancelled, so there's no register."))
    if now < occ.starts_at:
        raise ValidationError(_("You can close the register once the meetup has started."))
    occ.register_closed_at = now
    occ.register_closed_by = by
    occ.save(update_fields=["register_closed_at", "register_closed_by"])
    return occ


def registers_autoclose(*, now: datetime | None = None) -> int:
    """Close registers a few hours after the end. One query."""
    now = now or timezone.now()
    return (
        Occurrence.objects.filter(
            status=Occurrence.Status.SCHEDULED,
            register_closed_at__isnull=True,
            ends_at__lte=now - AUTO_CLOSE_AFTER,
            ends_at__gte=now - timedelta(days=14),
        )
        .filter(
            # a register reopened by hand gets a few hours before it closes by itself again
            Q(register_reopened_at__isnull=True)
            | Q(register_reopened_at__lte=now - AUTO_CLOSE_AFTER)
        )
        .update(register_closed_at=now)
    )

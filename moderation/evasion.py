"""Noticing a banned member's new account: simple signals that put it in front of a moderator,
never a block on a guess.

At sign-up a new account is compared with every banned account (banned in any group, or
across Village): the same browser (accounts/device.py's random cookie) at any time, the same
address within `ADDRESS_DAYS`, or the same name once spelling tricks are undone
(moderation.matching.normalise). A match is kept as an `EvasionSignal`. The account can still
do everything anyone new can; but each group it joins gets one queue item ("May be a banned
member's new account"), with the reasons, for that group's moderators to look at.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.device import device_of, ip_of, record_sighting
from accounts.models import DeviceSighting
from groups.models import Membership

from . import events, matching
from .models import AuditEntry, Case, EvasionSignal, ModAction

ADDRESS_DAYS = 7


def banned_ids() -> set[int]:
    """Everyone banned in a group or across Village (not reversed since)."""
    ids = set(
        Membership.objects.filter(status=Membership.Status.BANNED).values_list("user_id", flat=True)
    )
    ids |= set(
        ModAction.objects.filter(kind=ModAction.Kind.BAN, site_wide=True)
        .exclude(target_id=None)
        .values_list("target_id", flat=True)
    )
    return ids


def signals_for(*, user, device: str, address: str) -> dict[int, list[str]]:
    """Banned accounts that `user` (new) looks like, with the reasons."""
    banned = banned_ids() - {user.pk}
    if not banned:
        return {}
    found: dict[int, list[str]] = {}
    if device:
        for uid in DeviceSighting.objects.filter(user_id__in=banned, device=device).values_list(
            "user_id", flat=True
        ):
            found.setdefault(uid, []).append("device")
    if address:
        since = timezone.now() - timedelta(days=ADDRESS_DAYS)
        for uid in DeviceSighting.objects.filter(
            user_id__in=banned, ip=address, seen_at__gte=since
        ).values_list("user_id", flat=True):
            if "address" not in found.get(uid, []):
                found.setdefault(uid, []).append("address")
    name = matching.normalise(user.display_name or "")
    if len(name.replace(" ", "")) >= 3:
        for uid, other in (
            get_user_model().objects.filter(pk__in=banned).values_list("pk", "display_name")
        ):
            if matching.normalise(other or "") == name:
                found.setdefault(uid, []).append("name")
    return {uid: sorted(set(r)) for uid, r in found.items()}


@transaction.atomic
def on_signed_up(sender=None, *, request, user, **kwargs) -> None:
    """allauth's `user_signed_up`: note where the account came from, and any likeness."""
    if request is None:
        return
    record_sighting(request=request, user=user)
    for banned_id, reasons in signals_for(
        user=user, device=device_of(request), address=ip_of(request)
    ).items():
        EvasionSignal.objects.get_or_create(
            user=user, banned_id=banned_id, defaults={"reasons": ",".join(reasons)}
        )


def on_membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    """Joining (or asking to join) a group: one queue item there if the account looks like a
    banned member's."""
    if not created:
        return
    signals = list(EvasionSignal.objects.filter(user_id=instance.user_id))
    if not signals:
        return
    if Case.objects.filter(
        kind=Case.Kind.EVASION, group_id=instance.group_id, subject_id=instance.user_id
    ).exists():
        return
    case = Case.objects.create(
        kind=Case.Kind.EVASION, group_id=instance.group_id, subject_id=instance.user_id
    )
    reasons = sorted({r for s in signals for r in s.reasons.split(",")})
    from .services import audit

    audit(
        event=AuditEntry.Event.CONCERN,
        verb="evasion",
        group_id=instance.group_id,
        case_id=case.pk,
        target_id=instance.user_id,
        data={"reasons": reasons, "like": [s.banned_id for s in signals]},
    )
    events.queue_changed_on_commit(group_id=instance.group_id, case_id=case.pk)

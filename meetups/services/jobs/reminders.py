"""Reminders, 24 hours and 2 hours before a meetup, in bulk."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Kind
from notifications.services import Note, notify_many

from ... import rules, text
from ...models import Occurrence
from ..common import occurrence_url
from .bulk import (
    JobResult,
    _history,
    _insert_deliveries,
    _lookback_start,
    _members,
    _pair,
    _present,
    _QuietHours,
    _rsvps,
)


def reminders_send(*, now: datetime | None = None) -> JobResult:
    """Send due reminders (24 h and 2 h before) in bulk. A constant number of queries
    whatever the number of members and meetups; each (kind, meetup, member) at most once."""
    now = now or timezone.now()
    result = JobResult()
    quiet = _QuietHours(now)
    with transaction.atomic():
        due = _reminders_due(now)
        if not due:
            return result
        group_ids = {occ.group_id for occ, _ in due}
        members = _members(group_ids, day=timezone.localdate(now))
        rsvps = _rsvps([occ.pk for occ, _ in due])
        present = _present([occ.pk for occ, _ in due])
        history, attended = _history(
            group_ids, before=now, since=_lookback_start([occ for occ, _ in due], now)
        )
        rows = []
        zones: dict[int, str] = {}  # member -> their time zone: reminders are on their clock
        for occ, kind in due:
            recent = history.get(occ.group_id, [])[: rules.EXPECTED_LOOKBACK]
            for uid, _role, hours in members.get(occ.group_id, []):
                zones[uid] = hours.time_zone
                answer, waitlisted = rsvps.get(_pair(occ.pk, uid), (None, False))
                regular = rules.is_regular([_pair(oid, uid) in attended for oid in recent])
                if not rules.gets_reminder(
                    answer=answer,
                    waitlisted=waitlisted,
                    regular=regular,
                    present=_pair(occ.pk, uid) in present,
                ):
                    continue
                if quiet(hours):
                    result.deferred += 1
                    continue
                rows.append((kind.value, occ.pk, uid, occ.group_id))
        inserted = _insert_deliveries(rows, now)
        notes = _reminder_notes(inserted, due, rsvps, zones)
        notify_many(notes)
        result.sent = len(notes)
    return result


def _reminders_due(now: datetime) -> list[tuple[Occurrence, rules.ReminderKind]]:
    """The meetups in the next day with a reminder due now, and which. One query."""
    occs = list(
        Occurrence.objects.filter(
            status=Occurrence.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + rules.REMINDER_24H,
        ).select_related("series", "group")
    )
    due: list[tuple[Occurrence, rules.ReminderKind]] = []
    for occ in occs:
        on_24h = occ.series.reminders_24h if occ.series else True
        on_2h = occ.series.reminders_2h if occ.series else True
        for kind in rules.ReminderKind:
            if rules.reminder_due(
                kind, starts_at=occ.starts_at, now=now, on_24h=on_24h, on_2h=on_2h
            ):
                due.append((occ, kind))
    return due


def _reminder_notes(
    inserted: list[tuple[str, int, int]],
    due: list[tuple[Occurrence, rules.ReminderKind]],
    rsvps: dict[int, tuple[str, bool]],
    zones: dict[int, str],
) -> list[Note]:
    """The notifications for the delivery rows this run inserted, each on its member's clock."""
    occ_by_id = {occ.pk: occ for occ, _ in due}
    # One text (and one data dict) per meetup, kind, whether it asks and time zone.
    texts: dict[tuple[str, int, bool, str], tuple[str, str, str, dict]] = {}
    notes = []
    for kind, oid, uid in inserted:
        answer, _waitlisted = rsvps.get(_pair(oid, uid), (None, False))
        key = (kind, oid, rules.reminder_asks(answer), zones.get(uid, ""))
        if key not in texts:
            texts[key] = _reminder_text(occ_by_id[oid], kind, ask=key[2], zone=key[3] or None)
        title, body, url, data = texts[key]
        notes.append(
            Note(
                user_id=uid,
                kind=Kind.MEETUP_REMINDER,
                title=title,
                body=body,
                url=url,
                group_id=occ_by_id[oid].group_id,
                data=data,
            )  # fmt: skip
        )
    return notes


def _reminder_text(
    occ: Occurrence, kind: str, *, ask: bool, zone: str | None = None
) -> tuple[str, str, str, dict]:
    """Title, body, link and data of a reminder, with times on the recipient's clock (`zone`,
    their profile's; the zone is named when it isn't the meetup's). `ask`: they haven't said
    they're going, so ask; otherwise "see you there", and the email offers one tap to say
    they can't come (`data["going"]`, read by `tokens.reminder_email_links`)."""
    zone = zone or occ.time_zone
    clock = text.clock(text.start(occ, zone))
    if text.differs(occ, zone):
        clock = f"{clock} {text.zone_label(zone)}"
    words = {"group": occ.group.name, "time": clock}
    if kind == rules.ReminderKind.H24:
        title = _("%(group)s tomorrow at %(time)s") % words
    else:
        title = _("%(group)s today at %(time)s") % words
    lines = [_("%(title)s: %(when)s") % {"title": occ.title, "when": text.when(occ, zone)}]
    lines += text.where_lines(occ)
    if occ.note:
        lines.append(_("Note: %(note)s") % {"note": occ.note})
    lines.append("")
    data: dict = {"occurrence": occ.pk}
    if ask:
        lines.append(_("Let us know if you're coming: going, not sure or can't make it."))
    else:
        lines.append(_("See you there! If plans change, just let us know."))
        data["going"] = True
    return title, "\n".join(lines), occurrence_url(occ), data

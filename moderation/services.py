"""Writes for moderation and safeguarding.

Every function is keyword-only and does its whole job in one transaction: the state change,
the audit row, the notifications (`notifications.services.notify`, itself on-commit for pushes
and email) and the live queue update (after commit). Requests we cannot honour raise
`ModerationError` (a `core.errors.ServiceError`) with a kind, plain message and change nothing;
`AlreadyHandled` is the one a second moderator sees when someone else acted on the same item
first (the case row is locked with select_for_update, so two decisions can never both apply).

Message state changes go through `chat.services.message_set_state`, which logs the room event
and removes the message from every open room at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import time as datetime_time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chat.models import Message
from chat.services import room_lock
from config.text import is_blank
from config.village import village
from core.errors import ServiceError
from groups.models import Group, Membership
from groups.permissions import (
    Action,
    access_changed,
    access_group,
    access_message,
    can,
    can_decide_appeal,
    can_site,
    holders_of_site_action,
    may_moderate,
    may_view_case,
    membership_for,
    site_moderators,
)
from notifications.models import Kind
from notifications.services import notify
from realtime.events import UserEvent
from realtime.sender import send_to_user_on_commit

from . import closed, events, matching
from .models import (
    MAX_CASE_NOTE_CHARS,
    SUPPORTIVE_CLOSES,
    URGENT_REASONS,
    Appeal,
    AuditEntry,
    Case,
    CaseNote,
    CaseReferral,
    Complaint,
    CrisisPhrase,
    Helpline,
    ModAction,
    Reason,
    Report,
    WatchTerm,
)
from .selectors import forget_facilitator_flag, human_duration

log = logging.getLogger("village.moderation")

MAX_NOTE_CHARS = 1000
MAX_REASON_CHARS = 2000
MAX_APPEAL_CHARS = 3000
MAX_MUTE = timedelta(days=90)
MAX_SUSPENSION = timedelta(days=365)

K = ModAction.Kind


class ModerationError(ServiceError):
    """A moderation request we cannot honour (see `core.errors.ServiceError`)."""


class AlreadyHandled(ModerationError):
    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Another moderator has already handled this. Nothing else was changed."),
            code="already_handled",
        )


# --- helpers --------------------------------------------------------------------------------


def audit(
    *,
    event: AuditEntry.Event,
    verb: str = "",
    actor_id: int | None = None,
    group_id: int | None = None,
    case_id: int | None = None,
    message_id: int | None = None,
    target_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one row to the audit log (the only writer)."""
    return AuditEntry.objects.create(
        event=event,
        verb=verb,
        actor_id=actor_id,
        group_id=group_id,
        case_id_ref=case_id,
        message_id_ref=message_id,
        target_id_ref=target_id,
        reason=reason,
        data=data or {},
    )


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if is_blank(reason):
        raise ModerationError(
            _("Please write a short reason. The member is told it, and it goes in the log."),
            code="reason_required",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ModerationError(
            _("Please keep the reason under %(n)s characters.") % {"n": MAX_REASON_CHARS},
            code="reason_too_long",
        )
    return reason


def safeguarding_recipients(group_id: int | None, *, exclude: Iterable[int] = ()) -> list[int]:
    """Site moderators plus the group's facilitators."""
    User = get_user_model()
    ids = set(User.objects.filter(is_moderator=True, is_active=True).values_list("pk", flat=True))
    if group_id is not None:
        ids |= set(
            Membership.objects.facilitators()
            .filter(group_id=group_id)
            .values_list("user_id", flat=True)
        )
    return sorted(ids - set(exclude))


def _queue_url() -> str:
    return reverse("moderation:queue")


def _set_message_state(message: Message, state: str, actor) -> None:
    """Through chat: logs the room event and updates every open room after commit.
    Lock order everywhere in moderation: room, then message, then case/appeal rows."""
    from chat import services as chat_services

    if message.state == state:
        return
    chat_services.message_set_state(message=message, state=state, actor=actor)


def _case_open(
    *, kind: Case.Kind, group_id: int, message: Message | None = None, subject_id=None, urgent=False
) -> tuple[Case, bool]:
    """The open case for a message and kind, creating it if needed."""
    if message is not None:
        case = (
            Case.objects.select_for_update()
            .filter(message=message, kind=kind, status=Case.Status.OPEN)
            .first()
        )
        if case is not None:
            if urgent and not case.urgent:
                case.urgent = True
                case.save(update_fields=["urgent"])
            return case, False
    case = Case.objects.create(
        kind=kind,
        group_id=group_id,
        message=message,
        subject_id=subject_id if subject_id is not None else getattr(message, "author_id", None),
        urgent=urgent,
    )
    return case, True


def _alert_urgent(*, case: Case, title: str, body: str, exclude: Iterable[int] = ()) -> None:
    """The alert rows commit with the caller's transaction; their email is queued after
    commit and, if the queue (Redis) is down then, the `resend_urgent_alerts` sweep sends it.

    With a rota and someone on duty, it goes to the moderators on duty (and the group's
    facilitators) first, and `urgent_cases_escalate` climbs the ladder if nobody picks it
    up. With nobody on duty, or no rota at all, it goes to every moderator at once."""
    from .selectors import on_duty_ids

    on = set(on_duty_ids(now=timezone.now()) or ()) - set(exclude)
    if on:
        facilitators = Membership.objects.facilitators().filter(group_id=case.group_id)
        user_ids = sorted((on | set(facilitators.values_list("user_id", flat=True))) - set(exclude))
        if not case.ladder:
            case.ladder = True
            case.save(update_fields=["ladder"])
    else:
        user_ids = safeguarding_recipients(case.group_id, exclude=exclude)
    _send_urgent(case=case, user_ids=user_ids, title=title, body=body)


def _send_urgent(*, case: Case, user_ids: Iterable[int], title: str, body: str) -> None:
    rows = notify(
        user_ids=user_ids,
        kind=Kind.SAFEGUARDING,
        title=title,
        body=body,
        url=_queue_url() + f"#case-{case.pk}",
        group_id=case.group_id,
        urgent=True,
        email=False,
    )
    pks = [n.pk for n in rows if n.pk]
    if pks:
        transaction.on_commit(lambda: _queue_alert_emails(pks))


def _queue_alert_emails(pks: list[int]) -> None:
    from notifications.services import queue_emails

    if not queue_emails(pks):  # the queue is down: the rows are safe, the sweep emails them
        log.warning("could not queue %d urgent alert emails; the sweep will", len(pks))


def urgent_alerts_unsent(*, older_than: timedelta, within: timedelta) -> list[int]:
    """Urgent safeguarding alerts whose email was never sent (e.g. queued while Redis was
    down), from the last `within`, at least `older_than` old (so the normal path goes first)."""
    from notifications.models import Notification

    now = timezone.now()
    return list(
        Notification.objects.filter(
            kind=Kind.SAFEGUARDING,
            urgent=True,
            emailed_at__isnull=True,
            created_at__gte=now - within,
            created_at__lte=now - older_than,
        ).values_list("pk", flat=True)[:1000]
    )


def urgent_case_unhandled(case: Case) -> bool:
    """Is this urgent item still waiting for someone to act? (`CaseQuerySet.urgent_unhandled`
    is the one definition.)"""
    return Case.objects.urgent_unhandled().filter(pk=case.pk).exists()


def _reminders_start(case: Case, first: timedelta, repeat: timedelta):
    """When the hourly reminders begin: `first` after it was raised, or, on the rota ladder,
    one `repeat` after the ladder reached everyone (at twice `first`)."""
    return case.opened_at + first + ((first + repeat) if case.ladder else timedelta(0))


def _reminder_due(case: Case, now, first: timedelta, repeat: timedelta) -> bool:
    if case.ladder and case.ladder_step < 2:
        return False
    return _reminders_start(case, first, repeat) + case.escalations * repeat <= now


def urgent_cases_escalate(*, now=None, limit: int = 200) -> int:
    """Re-send the alert for each urgent item nobody has acted on: to every moderator and
    member of staff and the group's facilitators (never the person it is about or whoever
    raised it), VILLAGE_URGENT_ESCALATE_AFTER_MINUTES after it was raised, then every
    VILLAGE_URGENT_REPEAT_MINUTES until someone acts. The count on the case makes it safe to
    run often, twice, or after a restart: a reminder time missed while the job was stopped is
    skipped, not replayed. Returns how many items were re-sent. Never carries message text.
    An item on the rota ladder climbs it first (`urgent_ladder_climb`), and its hourly
    reminders start one repeat after the ladder reached everyone."""
    now = now or timezone.now()
    first = timedelta(minutes=settings.VILLAGE_URGENT_ESCALATE_AFTER_MINUTES)
    repeat = timedelta(minutes=max(1, settings.VILLAGE_URGENT_REPEAT_MINUTES))
    sent = urgent_ladder_climb(now=now, step=first, limit=limit)
    due = [
        case.pk
        for case in Case.objects.urgent_unhandled()
        .filter(opened_at__lte=now - first)
        .only("pk", "opened_at", "escalations", "ladder", "ladder_step")
        .order_by("opened_at", "pk")
        if _reminder_due(case, now, first, repeat)
    ][:limit]
    for pk in due:
        with transaction.atomic():
            case = (
                Case.objects.urgent_unhandled()
                .select_for_update(of=("self",))
                .select_related("group")
                .filter(pk=pk)
                .first()
            )
            if case is None or not _reminder_due(case, now, first, repeat):
                continue  # someone acted, or another run sent it, meanwhile
            case.escalations = (now - _reminders_start(case, first, repeat)) // repeat + 1
            case.escalated_at = now
            case.save(update_fields=["escalations", "escalated_at"])
            _send_urgent(
                case=case,
                user_ids=_urgent_reminder_recipients(case),
                title=_("Still waiting after %(waited)s: an urgent item in %(group)s")
                % {"waited": human_duration(now - case.opened_at), "group": case.group.name},
                body=_(
                    "This is a reminder: nobody has acted on it yet. Please look as soon as "
                    "you can. If someone is already helping, mark it as looked after so the "
                    "reminders stop."
                ),
            )
            sent += 1
    if sent:
        log.info("re-sent %d urgent alerts nobody has acted on", sent)
    return sent


def _alerted_ids(case: Case) -> set[int]:
    """Who has had an alert or reminder about this item already."""
    from notifications.models import Notification

    return set(
        Notification.objects.filter(
            kind=Kind.SAFEGUARDING, url=_queue_url() + f"#case-{case.pk}"
        ).values_list("user_id", flat=True)
    )


def urgent_ladder_climb(*, now, step: timedelta, limit: int = 200) -> int:
    """The rota ladder (`Case.ladder`): an item first sent to the moderators on duty that
    nobody has acknowledged or acted on goes, `step` after it was raised, to the next
    moderator on the rota (someone on duty since who has not had it, else whoever comes on
    duty next), and `step` later to every moderator, member of staff and the group's
    facilitators. Nobody next on the rota: straight to everyone. Safe to run twice: the step
    is on the case, under its row lock."""
    due = list(
        Case.objects.urgent_unhandled()
        .filter(ladder=True, ladder_step__lt=2, opened_at__lte=now - step)
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    from .selectors import next_on_duty_id, on_duty_ids

    sent = 0
    for pk in due:
        with transaction.atomic():
            case = (
                Case.objects.urgent_unhandled()
                .select_for_update(of=("self",))
                .select_related("group")
                .filter(pk=pk, ladder=True, ladder_step__lt=2)
                .first()
            )
            if case is None or case.opened_at + (case.ladder_step + 1) * step > now:
                continue
            waited = {"waited": human_duration(now - case.opened_at), "group": case.group.name}
            nobody = {case.subject_id} if case.subject_id else set()
            nobody |= set(
                Report.objects.filter(case=case, reporter__isnull=False).values_list(
                    "reporter_id", flat=True
                )
            )
            next_id = None
            if case.ladder_step == 0:
                # Someone who came on duty since it was raised, else whoever comes on next.
                skip = _alerted_ids(case) | nobody
                fresh = [uid for uid in on_duty_ids(now=now) or () if uid not in skip]
                next_id = fresh[0] if fresh else next_on_duty_id(after=now, exclude=skip)
            if next_id is not None:
                case.ladder_step = 1
                user_ids = [next_id]
                title = _("Nobody has picked this up after %(waited)s: %(group)s") % waited
                body = _(
                    "An urgent item is waiting and the moderators on duty haven't picked it "
                    "up. You're next on the rota: could you look now? Tap \"I've got this\" "
                    "if you can."
                )
            else:
                case.ladder_step = 2
                user_ids = _urgent_reminder_recipients(case)
                title = _("Still waiting after %(waited)s: an urgent item in %(group)s") % waited
                body = _(
                    "Nobody on the rota has picked this up yet, so it has come to everyone. "
                    'Please look as soon as you can, and tap "I\'ve got this" if you take it.'
                )
            case.escalated_at = now
            case.save(update_fields=["ladder_step", "escalated_at"])
            audit(
                event=AuditEntry.Event.ESCALATION,
                verb="next" if next_id else "everyone",
                group_id=case.group_id,
                case_id=case.pk,
                target_id=next_id,
            )
            _send_urgent(case=case, user_ids=user_ids, title=title, body=body)
            sent += 1
    return sent


def _urgent_reminder_recipients(case: Case) -> list[int]:
    """Everyone the first alert went to (moderators, the group's facilitators) and staff;
    never the person it is about or the members who raised it."""
    User = get_user_model()
    staff = User.objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    raised_by = Report.objects.filter(case=case, reporter__isnull=False).values_list(
        "reporter_id", flat=True
    )
    exclude = {*raised_by, *([case.subject_id] if case.subject_id else [])}
    return sorted((set(safeguarding_recipients(case.group_id)) | set(staff)) - exclude)


# --- reporting ------------------------------------------------------------------------------


def report_message(*, user, message_id: int, reason: str, note: str = "") -> Report:
    """A member reports a message in their group. Auto-hides at the threshold of distinct
    reporters, or at once when a facilitator of the group reports it."""
    if reason not in Reason.values:
        raise ModerationError(_("Please choose a reason."), code="reason")
    note = _written(
        note,
        limit=MAX_NOTE_CHARS,
        blank=_("Please tell us a little about what's wrong, so a moderator can help.")
        if reason == Reason.OTHER
        else None,
    )
    try:
        found = access_message(user, message_id, Action.REPORT_CONTENT)
    except (Http404, PermissionDenied):
        raise ModerationError(
            _("You can only report messages in groups you belong to."), code="not_member"
        ) from None
    message, access = found.message, found.access
    if message.author_id == user.pk:
        raise ModerationError(
            _("This is your own message. You can edit or delete it from its menu instead."),
            code="own_message",
        )
    if message.deleted_at is not None or message.state == Message.State.REMOVED:
        raise ModerationError(_("That message has already been removed."), code="gone")
    group = access.group
    with transaction.atomic():
        # Room then message lock (chat's order) serialises reports on one message, so the
        # distinct-reporter count is exact and auto-hide happens once.
        room_lock(message.room_id)
        message = Message.objects.select_for_update().get(pk=message.pk)
        if Report.objects.filter(message=message, reporter=user).exists():
            raise ModerationError(
                _("You've already reported this message. Thank you: a moderator will look at it."),
                code="already_reported",
            )
        urgent = reason in URGENT_REASONS
        case, created = _case_open(
            kind=Case.Kind.REPORTS, group_id=group.pk, message=message, urgent=urgent
        )
        by_facilitator = bool(access.membership and access.membership.is_facilitator)
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    case=case,
                    group=group,
                    message=message,
                    reporter=user,
                    reason=reason,
                    note=note,
                    by_facilitator=by_facilitator,
                )
        except IntegrityError:
            raise ModerationError(
                _("You've already reported this message. Thank you: a moderator will look at it."),
                code="already_reported",
            ) from None
        audit(
            event=AuditEntry.Event.REPORT,
            verb=reason,
            group_id=group.pk,
            case_id=case.pk,
            message_id=message.pk,
            target_id=message.author_id,
            data={"report_id": report.pk},
        )
        reporters = (
            Report.objects.filter(case=case, reporter__isnull=False)
            .values("reporter_id")
            .distinct()
            .count()
        )
        threshold = village("MODERATION_AUTOHIDE_REPORTS")
        if message.state == Message.State.VISIBLE and (by_facilitator or reporters >= threshold):
            _set_message_state(message, Message.State.HIDDEN, None)
            message.state = Message.State.HIDDEN
            audit(
                event=AuditEntry.Event.AUTO_HIDE,
                verb="facilitator_report" if by_facilitator else "threshold",
                group_id=group.pk,
                case_id=case.pk,
                message_id=message.pk,
                target_id=message.author_id,
                data={"reporters": reporters},
            )
            if message.author_id:
                notify(
                    user_ids=[message.author_id],
                    kind=Kind.MODERATION,
                    title=_("One of your messages is hidden while a moderator looks at it"),
                    body=_(
                        "Some members were worried about a message you posted in %(group)s, so "
                        "it is hidden for now. A moderator will look at it soon and let you "
                        "know what happens."
                    )
                    % {"group": group.name},
                    url=reverse("moderation:my_decisions"),
                    group_id=group.pk,
                )
        if created and not urgent:
            # Facilitators may not have the queue open: a quiet in-app note, once per item.
            facilitators = Membership.objects.facilitators().filter(group=group)
            notify(
                user_ids=facilitators.exclude(user=user).values_list("user_id", flat=True),
                kind=Kind.FACILITATOR,
                title=_("A message in %(group)s was reported") % {"group": group.name},
                url=_queue_url() + f"#case-{case.pk}",
                group_id=group.pk,
                email=False,
            )
        if urgent:
            _alert_urgent(
                case=case,
                title=_("Urgent: a safeguarding concern was reported in %(group)s")
                % {"group": group.name},
                body=_("Please look at it as soon as you can."),
                exclude=[user.pk],
            )
        events.queue_changed_on_commit(group_id=group.pk, case_id=case.pk)
    return report


def concern_raise(*, user, group_slug: str, note: str, subject_id: int | None = None) -> Case:
    """ "I'm worried about someone in this group": a safeguarding item for the group's
    facilitators and the site moderators, not a content flag."""
    try:
        access = access_group(user, slug=group_slug, action=Action.REPORT_CONTENT)
    except (Http404, PermissionDenied):
        raise ModerationError(
            _("You can only raise a concern in a group you belong to."), code="not_member"
        ) from None
    note = _written(
        note,
        limit=MAX_NOTE_CHARS,
        blank=_("Please tell us what's worrying you. A few words are enough."),
    )
    group = access.group
    if subject_id is not None and not (
        Membership.objects.active().filter(group=group, user_id=subject_id).exists()
    ):
        raise ModerationError(_("Please choose someone from this group."), code="subject")
    with transaction.atomic():
        case = Case.objects.create(
            kind=Case.Kind.CONCERN, group=group, subject_id=subject_id, urgent=True
        )
        report = Report.objects.create(
            case=case, group=group, reporter=user, reason=Reason.SAFEGUARDING, note=note
        )
        audit(
            event=AuditEntry.Event.CONCERN,
            group_id=group.pk,
            case_id=case.pk,
            target_id=subject_id,
            data={"report_id": report.pk},
        )
        _alert_urgent(
            case=case,
            title=_("Urgent: a member is worried about someone in %(group)s")
            % {"group": group.name},
            body=_("Please look at it as soon as you can."),
            exclude=[user.pk],
        )
        events.queue_changed_on_commit(group_id=group.pk, case_id=case.pk)
    return case


# --- screening hooks (registered in apps.py) -----------------------------------------------


def screen_hook(message: Message, verdict) -> None:
    """After-send hook from chat.screening, inside the message's transaction."""
    from chat.screening import Screen

    room = message.room
    group_id = room.group_id
    if verdict.action == Screen.HOLD:
        case, created = _case_open(kind=Case.Kind.HELD, group_id=group_id, message=message)
        if created:
            audit(
                event=AuditEntry.Event.WATCHLIST,
                verb="hold",
                group_id=group_id,
                case_id=case.pk,
                message_id=message.pk,
                target_id=message.author_id,
                data={"terms": [m for m in verdict.matched if isinstance(m, int)]},
            )
            events.queue_changed_on_commit(group_id=group_id, case_id=case.pk)
    elif verdict.action == Screen.FLAG:
        case, created = _case_open(kind=Case.Kind.FLAGGED, group_id=group_id, message=message)
        if created:
            audit(
                event=AuditEntry.Event.WATCHLIST,
                verb="flag",
                group_id=group_id,
                case_id=case.pk,
                message_id=message.pk,
                target_id=message.author_id,
                data={"terms": [m for m in verdict.matched if isinstance(m, int)]},
            )
            events.queue_changed_on_commit(group_id=group_id, case_id=case.pk)
    if verdict.crisis:
        case, created = _case_open(
            kind=Case.Kind.CRISIS, group_id=group_id, message=message, urgent=True
        )
        if created:
            audit(
                event=AuditEntry.Event.CRISIS,
                group_id=group_id,
                case_id=case.pk,
                message_id=message.pk,
                target_id=message.author_id,
            )
            group_name = Group.objects.filter(pk=group_id).values_list("name", flat=True).first()
            _alert_urgent(
                case=case,
                title=_("Urgent: someone in %(group)s may be in crisis") % {"group": group_name},
                body=_(
                    "A message may show that someone is struggling or at risk. They have been "
                    "shown where to find help. Please look and reach out kindly."
                ),
                exclude=[message.author_id] if message.author_id else [],
            )
            events.queue_changed_on_commit(group_id=group_id, case_id=case.pk)


# --- actions --------------------------------------------------------------------------------

MESSAGE_ACTIONS = frozenset({K.DISMISS, K.APPROVE, K.HIDE, K.DELETE})
PERSON_ACTIONS = frozenset({K.WARN, K.MUTE, K.REMOVE, K.SUSPEND, K.BAN})
# Who may take which decision is the permission module's (`may_moderate`, `CASE_GROUP_POLICY`).


def case_act(
    *,
    actor,
    case_id: int,
    kind: str,
    reason: str,
    duration: timedelta | None = None,
    site_wide: bool = False,
    note: str = "",
) -> ModAction:
    """Decide one queue item. Raises ModerationError (nothing changes) when the actor may not,
    the reason is missing, or AlreadyHandled when another moderator got there first.

    A supportive close (`SUPPORTIVE_CLOSES`) tells nobody about the member and needs no
    reason; `note`, if given, becomes a private case note. Whatever closes an item, the
    members who reported it are thanked, once. The returned action says who was told:
    `told_member` (bool) and `told_reporters` (how many)."""
    if kind not in K.values:
        raise ModerationError(_("Please choose what to do."), code="kind")
    if kind in SUPPORTIVE_CLOSES:
        reason = ""
        note = _clean_note(note) if not is_blank(note or "") else ""
    else:
        reason = _clean_reason(reason)
        note = ""
    with transaction.atomic():
        room_id = (
            Case.objects.filter(pk=case_id, message__isnull=False)
            .values_list("message__room_id", flat=True)
            .first()
        )
        if room_id is not None:
            room_lock(room_id)  # lock order: room, message, case
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("group", "message", "subject")
            .filter(pk=case_id)
            .first()
        )
        if case is None or not may_view_case(actor, case.group):
            raise ModerationError(
                _("You can only act on items in groups you look after."), code="not_yours"
            )
        if not may_moderate(actor, kind, case.group):
            raise ModerationError(
                _("Only a site moderator can do that. You can hide, warn, mute or remove."),
                code="not_allowed",
            )
        if not case.is_open:
            raise AlreadyHandled()
        message = case.message
        target = case.subject
        if kind in MESSAGE_ACTIONS and message is None:
            raise ModerationError(_("There is no message to act on here."), code="no_message")
        if kind in PERSON_ACTIONS:
            if target is None:
                raise ModerationError(_("There is no member to act on here."), code="no_member")
            if target.pk == actor.pk:
                raise ModerationError(
                    _("This is about you, so another moderator needs to decide it."),
                    code="self",
                )
        until = None
        if kind in (K.MUTE, K.SUSPEND):
            limit = MAX_MUTE if kind == K.MUTE else MAX_SUSPENSION
            if duration is None or duration <= timedelta(0) or duration > limit:
                raise ModerationError(_("Please choose how long for."), code="duration")
            until = timezone.now() + duration
        if kind != K.BAN:
            site_wide = False

        action = ModAction.objects.create(
            case=case,
            kind=kind,
            actor=actor,
            group=case.group,
            message=message,
            target=target if kind in PERSON_ACTIONS or message is None else message.author,
            reason=reason,
            until=until,
            site_wide=site_wide,
        )
        _apply(action, case)
        now = timezone.now()
        case.status = Case.Status.HANDLED
        case.handled_at = now
        case.handled_by = actor
        case.first_action_at = case.first_action_at or now
        case.save(update_fields=["status", "handled_at", "handled_by", "first_action_at"])
        audit(
            event=AuditEntry.Event.ACTION,
            verb=kind,
            actor_id=actor.pk,
            group_id=case.group_id,
            case_id=case.pk,
            message_id=getattr(message, "pk", None),
            target_id=action.target_id,
            reason=reason,
            data={
                "action_id": action.pk,
                "until": until.isoformat() if until else None,
                "site_wide": site_wide,
            },
        )
        if note:
            _note_create(case=case, author=actor, body=note)
        # What the moderator is shown afterwards (not stored: ModAction has no such fields).
        action.told_member = _tell_target(action)  # type: ignore[attr-defined]
        action.told_reporters = _thank_reporters(case, exclude=[actor.pk])  # type: ignore[attr-defined]
        events.queue_changed_on_commit(group_id=case.group_id, case_id=case.pk)
    return action


def _thank_reporters(case: Case, *, exclude: Iterable[int] = ()) -> int:
    """Tell the members who reported a post or raised a concern, kindly and without detail,
    that it was looked at. Called once, when the item closes (the case row is locked and a
    closed item takes no second decision). Returns how many were told."""
    reporter_ids = set(
        Report.objects.filter(case=case, reporter__isnull=False).values_list(
            "reporter_id", flat=True
        )
    ) - set(exclude)
    if case.subject_id:
        reporter_ids.discard(case.subject_id)
    if not reporter_ids:
        return 0
    notify(
        user_ids=reporter_ids,
        kind=Kind.MODERATION,
        title=_("Thank you for telling us"),
        body=_("Thank you for telling us. A moderator has looked at what you reported."),
        group_id=case.group_id,
    )
    return len(reporter_ids)


# --- supporting a person: private notes, the safeguarding lead -------------------------------


def _written(text: str | None, *, limit: int, blank: str | None) -> str:
    """What someone wrote, stripped; or a kind ModerationError when it is blank (only where
    `blank` says what to ask for) or longer than `limit`. Their words stay in the form."""
    text = (text or "").strip()
    if blank is not None and is_blank(text):
        raise ModerationError(blank, code="note_required")
    if len(text) > limit:
        raise ModerationError(
            _("Please keep the note under %(n)s characters.") % {"n": limit},
            code="note_too_long",
        )
    return text


def _clean_note(body: str | None) -> str:
    return _written(
        body, limit=MAX_CASE_NOTE_CHARS, blank=_("Please write a few words about what you did.")
    )


def _case_for(actor, case_id: int, action: Action) -> Case:
    """The case, locked, if `actor` may take `action` on it. "No such item" and "not yours"
    are the same error."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("group")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not can(actor, action, case.group, membership_for(actor, case.group)):
        raise ModerationError(
            _("You can only act on items in groups you look after."), code="not_yours"
        )
    return case


def _note_create(*, case: Case, author, body: str) -> CaseNote:
    note = CaseNote.objects.create(case=case, author=author, body=body)
    # The log says a note was written, never what it says.
    audit(
        event=AuditEntry.Event.CASE_NOTE,
        actor_id=author.pk,
        group_id=case.group_id,
        case_id=case.pk,
        data={"note_id": note.pk},
    )
    return note


def case_note_add(*, actor, case_id: int, body: str) -> CaseNote:
    """Record what we did: a private note on an item, open or closed, by anyone who may
    handle it. Notes are never logged, notified or emailed."""
    body = _clean_note(body)
    with transaction.atomic():
        case = _case_for(actor, case_id, Action.ADD_CASE_NOTE)
        note = _note_create(case=case, author=actor, body=body)
        if case.first_action_at is None:
            case.first_action_at = note.created_at
            case.save(update_fields=["first_action_at"])
        events.queue_changed_on_commit(group_id=case.group_id, case_id=case.pk)
    return note


def safeguarding_leads(*, exclude: Iterable[int] = ()) -> list[int]:
    """Active safeguarding leads who can open the item (they are moderators or staff)."""
    ids = site_moderators().filter(is_safeguarding_lead=True)
    return sorted(set(ids.values_list("pk", flat=True)) - set(exclude))


def case_pass_to_lead(*, actor, case_id: int) -> CaseReferral:
    """Pass an item to the safeguarding lead(s): records who and when, and tells them (bell
    and email, no member's words). Once per item."""
    with transaction.atomic():
        case = _case_for(actor, case_id, Action.PASS_TO_SAFEGUARDING_LEAD)
        if CaseReferral.objects.filter(case=case).exists():
            raise ModerationError(
                _("This is already with the safeguarding lead."), code="already_passed"
            )
        if not safeguarding_leads():
            raise ModerationError(
                _(
                    "Village has no safeguarding lead set up yet, so nothing was sent. Please "
                    "tell a member of staff: they can choose one."
                ),
                code="no_lead",
            )
        referral = CaseReferral.objects.create(case=case, passed_by=actor)
        audit(
            event=AuditEntry.Event.REFERRAL,
            actor_id=actor.pk,
            group_id=case.group_id,
            case_id=case.pk,
            data={"referral_id": referral.pk},
        )
        if case.first_action_at is None:
            case.first_action_at = referral.created_at
            case.save(update_fields=["first_action_at"])
        rows = notify(
            user_ids=safeguarding_leads(exclude=[actor.pk]),
            kind=Kind.SAFEGUARDING,
            title=_("A safeguarding item has been passed to you"),
            body=_(
                "A moderator in %(group)s would like the safeguarding lead to look at an item. "
                "Please open it on Village."
            )
            % {"group": case.group.name},
            url=reverse("moderation:case", args=[case.pk]),
            group_id=case.group_id,
            urgent=True,
            email=False,
        )
        pks = [n.pk for n in rows if n.pk]
        if pks:
            transaction.on_commit(lambda: _queue_alert_emails(pks))
        events.queue_changed_on_commit(group_id=case.group_id, case_id=case.pk)
    return referral


def _apply(action: ModAction, case: Case) -> None:
    # Which of these is set depends on the kind (the form and `_check_action` make sure).
    kind = action.kind
    message: Any = action.message
    target: Any = action.target
    group: Any = case.group
    until: Any = action.until
    if target is not None and kind in (K.MUTE, K.REMOVE, K.SUSPEND, K.BAN):
        access_changed(user_id=target.pk)  # the bulk updates below send no model signals
    if kind in (K.DISMISS, K.APPROVE):
        if message.state in (Message.State.HIDDEN, Message.State.HELD):
            _set_message_state(message, Message.State.VISIBLE, action.actor)
    elif kind == K.HIDE:
        _set_message_state(message, Message.State.HIDDEN, action.actor)
    elif kind == K.DELETE:
        _set_message_state(message, Message.State.REMOVED, action.actor)
    elif kind == K.MUTE:
        Membership.objects.filter(group=group, user=target).update(muted_until=action.until)
        send_to_user_on_commit(
            target.pk,
            {
                "type": UserEvent.MEMBERSHIP_MUTED,
                "group_id": group.pk,
                "until": until.isoformat(),
            },
        )
    elif kind == K.REMOVE:
        Membership.objects.filter(group=group, user=target).exclude(
            status=Membership.Status.BANNED
        ).update(status=Membership.Status.REMOVED, role=Membership.Role.MEMBER)
        forget_facilitator_flag(target.pk)
        send_to_user_on_commit(
            target.pk, {"type": UserEvent.MEMBERSHIP_REVOKED, "group_id": group.pk}
        )
    elif kind == K.SUSPEND:
        get_user_model().objects.filter(pk=target.pk).update(suspended_until=action.until)
        for gid in (
            Membership.objects.active().filter(user=target).values_list("group_id", flat=True)
        ):
            send_to_user_on_commit(
                target.pk,
                {
                    "type": UserEvent.MEMBERSHIP_MUTED,
                    "group_id": gid,
                    "until": until.isoformat(),
                },
            )
    elif kind == K.BAN:
        if action.site_wide:
            gids = list(
                Membership.objects.active().filter(user=target).values_list("group_id", flat=True)
            )
            get_user_model().objects.filter(pk=target.pk).update(is_active=False)
        else:
            gids = [group.pk]
            Membership.objects.update_or_create(
                group=group,
                user=target,
                defaults={"status": Membership.Status.BANNED, "role": Membership.Role.MEMBER},
            )
        for gid in gids:
            send_to_user_on_commit(
                target.pk, {"type": UserEvent.MEMBERSHIP_REVOKED, "group_id": gid}
            )


def _undo(action: ModAction, actor) -> None:
    """Reverse an action's effect after a successful appeal."""
    kind = action.kind
    target = action.target
    group_id: Any = action.group_id  # set for every group action undone below
    if target is not None and kind in (K.MUTE, K.REMOVE, K.SUSPEND, K.BAN):
        access_changed(user_id=target.pk)
    if kind in (K.HIDE, K.DELETE) and action.message_id:
        message = Message.objects.filter(pk=action.message_id).first()
        if message and message.deleted_at is None:
            _set_message_state(message, Message.State.VISIBLE, actor)
    elif kind == K.MUTE and target:
        Membership.objects.filter(group_id=group_id, user=target).update(muted_until=None)
        send_to_user_on_commit(
            target.pk,
            {"type": UserEvent.MEMBERSHIP_MUTED, "group_id": group_id, "until": None},
        )
    elif kind == K.REMOVE and target:
        Membership.objects.filter(
            group_id=group_id, user=target, status=Membership.Status.REMOVED
        ).update(status=Membership.Status.ACTIVE)
    elif kind == K.SUSPEND and target:
        get_user_model().objects.filter(pk=target.pk).update(suspended_until=None)
    elif kind == K.BAN and target:
        if action.site_wide:
            get_user_model().objects.filter(pk=target.pk).update(is_active=True)
        else:
            Membership.objects.filter(
                group_id=group_id, user=target, status=Membership.Status.BANNED
            ).update(status=Membership.Status.ACTIVE)


_TOLD = {
    K.HIDE: gettext_lazy("A moderator has hidden one of your messages for now"),
    K.DELETE: gettext_lazy("A moderator has taken down one of your messages"),
    K.WARN: gettext_lazy("A private note from a moderator"),
    K.MUTE: gettext_lazy("You can't post in a group for a little while"),
    K.REMOVE: gettext_lazy("You're no longer a member of a group"),
    K.SUSPEND: gettext_lazy("Your account can't post for a little while"),
    K.BAN: gettext_lazy("You can no longer take part"),
}


def _tell_target(action: ModAction) -> bool:
    """Tell the member what a decision means for them; False when nobody was told."""
    if action.target_id is None or action.kind not in _TOLD:
        return False
    if action.group_id:
        body = _("This is about %(group)s. The reason a moderator gave: %(reason)s") % {
            "group": action.group.name if action.group else "",
            "reason": action.reason,
        }
    else:
        body = _("The reason a moderator gave: %(reason)s") % {"reason": action.reason}
    if action.until:
        body += " " + _("Until %(until)s.") % {
            "until": timezone.localtime(action.until).strftime("%-d %b %Y, %H:%M")
        }
    body += " " + _("If you think this was wrong, you can appeal once, in your own words.")
    notify(
        user_ids=[action.target_id],
        kind=Kind.MODERATION,
        title=str(_TOLD[K(action.kind)]),
        body=body,
        url=reverse("moderation:decision", args=[action.pk]),
        group_id=action.group_id,
        email=True,
    )
    if action.kind == K.BAN and action.site_wide:
        # The account is now closed: the notification email (active members only) won't reach
        # them, so a letter with their personal link to appeal or complain does.
        closed.letter_on_commit(action.target_id, _("Your Village account has been closed"), body)
    return True


# --- appeals --------------------------------------------------------------------------------


def appeal_submit(*, user, action_id: int, text: str) -> Appeal:
    action = ModAction.objects.filter(pk=action_id, target=user).first()
    if action is None:
        raise ModerationError(_("We couldn't find that decision."), code="not_found")
    if not action.is_appealable:
        raise ModerationError(_("This decision can't be appealed."), code="not_appealable")
    text = (text or "").strip()
    if is_blank(text):
        raise ModerationError(
            _("Please tell us, in your own words, why you think the decision was wrong."),
            code="text_required",
        )
    if len(text) > MAX_APPEAL_CHARS:
        raise ModerationError(
            _("Please keep your appeal under %(n)s characters.") % {"n": MAX_APPEAL_CHARS},
            code="too_long",
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(action=action, appellant=user, text=text)
        except IntegrityError:
            raise ModerationError(
                _("You've already appealed this decision. A moderator will reply to you."),
                code="already_appealed",
            ) from None
        deciders = appeal_deciders(appeal)
        if any(is_moderator for _pk, is_moderator in deciders):
            appeal.route = Appeal.Route.MODERATOR
        elif deciders:
            appeal.route = Appeal.Route.STAFF
        else:
            appeal.route = Appeal.Route.NOBODY
        appeal.decide_by = appeal.created_at + timedelta(
            days=settings.VILLAGE_APPEAL_DECIDE_WITHIN_DAYS
        )
        appeal.save(update_fields=["route", "decide_by"])
        audit(
            event=AuditEntry.Event.APPEAL,
            actor_id=user.pk,
            group_id=action.group_id,
            case_id=action.case_id,
            target_id=user.pk,
            data={"appeal_id": appeal.pk, "action_id": action.pk, "route": appeal.route},
        )
        by = {"date": date_format(timezone.localtime(appeal.decide_by), "j F Y")}
        if appeal.route == Appeal.Route.MODERATOR:
            title = _("An appeal is waiting for a different moderator")
            body = _("The member has been told they will have an answer by %(date)s.") % by
        else:
            title = _("An appeal needs a member of staff to decide it")
            body = (
                _(
                    "The moderator who made the decision can't decide it and there is no other "
                    "moderator, so it comes to staff. The member has been told they will have an "
                    "answer by %(date)s."
                )
                % by
            )
        notify(
            user_ids=[pk for pk, _m in deciders],
            kind=Kind.MODERATION,
            title=title,
            body=body,
            url=reverse("moderation:appeal", args=[appeal.pk]),
            group_id=action.group_id,
        )
        # The appellant's confirmation: who will look at it, and by when.
        notify(
            user_ids=[user.pk],
            kind=Kind.MODERATION,
            title=_("We've got your appeal"),
            body=appeal.who_decides,
            url=reverse("moderation:decision", args=[action.pk]),
            group_id=action.group_id,
        )
        if not user.is_active:  # a closed account: the notification email can't reach them
            closed.letter_on_commit(user.pk, _("We've got your appeal"), appeal.who_decides)
        events.queue_changed_on_commit(group_id=action.group_id, case_id=action.case_id)
    return appeal


def appeal_deciders(appeal: Appeal) -> list[tuple[int, bool]]:
    """(user id, is a moderator) of everyone who may decide this appeal: whoever holds
    DECIDE_APPEAL (site moderators and staff), except the person who made the decision and
    the appellant."""
    return list(
        holders_of_site_action(Action.DECIDE_APPEAL)
        .exclude(pk__in=[appeal.action.actor_id or 0, appeal.appellant_id or 0])
        .order_by("pk")
        .values_list("pk", "is_moderator")
    )


def appeals_overdue_alert(*, now=None, limit: int = 200) -> int:
    """Tell staff (in the app and by email), once per appeal, about appeals still undecided
    after the date the member was given. An appeal is marked only when some member of staff
    was told, so one lodged while there were no staff is still raised once there are.
    Returns how many appeals were raised."""
    now = now or timezone.now()
    within = timedelta(days=settings.VILLAGE_APPEAL_DECIDE_WITHIN_DAYS)
    staff = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not staff:
        return 0
    overdue = list(
        Appeal.objects.filter(status=Appeal.Status.PENDING, overdue_alerted_at__isnull=True)
        .filter(Q(decide_by__lte=now) | Q(decide_by__isnull=True, created_at__lte=now - within))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    raised = 0
    for appeal_id in overdue:
        with transaction.atomic():
            appeal = (
                Appeal.objects.select_for_update(of=("self",))
                .select_related("action")
                .filter(pk=appeal_id, status=Appeal.Status.PENDING, overdue_alerted_at__isnull=True)
                .first()
            )
            recipients = [pk for pk in staff if appeal and pk != appeal.appellant_id]
            if appeal is None or not recipients:
                continue
            appeal.overdue_alerted_at = now
            appeal.save(update_fields=["overdue_alerted_at"])
            waited = human_duration(now - appeal.created_at)
            notify(
                user_ids=recipients,
                kind=Kind.MODERATION,
                title=_("An appeal has waited %(waited)s without a decision") % {"waited": waited},
                body=_(
                    "The member was told they would have an answer by %(date)s. Please make "
                    "sure someone decides it (not the person who made the decision)."
                )
                % {"date": date_format(timezone.localtime(appeal.decide_by or now), "j F Y")},
                url=reverse("moderation:appeal", args=[appeal.pk]),
                group_id=appeal.action.group_id,
            )
            raised += 1
    if raised:
        log.info("told staff about %d overdue appeals", raised)
    return raised


def appeal_decide(*, actor, appeal_id: int, decision: str, reason: str) -> Appeal:
    if not can_site(actor, Action.DECIDE_APPEAL):
        raise ModerationError(_("Only a site moderator can decide appeals."), code="not_allowed")
    if decision not in (Appeal.Status.UPHELD, Appeal.Status.REVERSED):
        raise ModerationError(_("Please choose to keep or reverse the decision."), code="decision")
    reason = _clean_reason(reason)
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("action", "action__group")
            .filter(pk=appeal_id)
            .first()
        )
        if appeal is None:
            raise ModerationError(_("We couldn't find that appeal."), code="not_found")
        action = appeal.action
        if appeal.status != Appeal.Status.PENDING:
            raise AlreadyHandled(_("This appeal has already been decided."))
        if not can_decide_appeal(
            actor, decided_by_id=action.actor_id, appellant_id=appeal.appellant_id
        ):
            if action.actor_id == actor.pk:
                raise ModerationError(
                    _(
                        "A different moderator must decide this appeal, because you made the "
                        "decision."
                    ),
                    code="same_moderator",
                )
            raise ModerationError(_("You can't decide your own appeal."), code="own_appeal")
        now = timezone.now()
        appeal.status = decision
        appeal.decided_by = actor
        appeal.decision_reason = reason
        appeal.decided_at = now
        appeal.save(update_fields=["status", "decided_by", "decision_reason", "decided_at"])
        if decision == Appeal.Status.REVERSED:
            _undo(action, actor)
            ModAction.objects.filter(pk=action.pk).update(reversed_at=now)
        audit(
            event=AuditEntry.Event.APPEAL_DECISION,
            verb=decision,
            actor_id=actor.pk,
            group_id=action.group_id,
            case_id=action.case_id,
            message_id=action.message_id,
            target_id=action.target_id,
            reason=reason,
            data={"appeal_id": appeal.pk, "action_id": action.pk},
        )
        if appeal.appellant_id:
            notify(
                user_ids=[appeal.appellant_id],
                kind=Kind.MODERATION,
                title=str(appeal.outcome),
                body=reason,
                url=reverse("moderation:decision", args=[action.pk]),
                group_id=action.group_id,
            )
            if decision == Appeal.Status.UPHELD and action.kind == K.BAN and action.site_wide:
                closed.letter_on_commit(
                    appeal.appellant_id,
                    str(appeal.outcome),
                    _("The moderator's answer: %(reason)s") % {"reason": reason},
                )
        events.queue_changed_on_commit(group_id=action.group_id, case_id=action.case_id)
    return appeal


# --- watch lists, crisis phrases, helplines ---------------------------------------------------


def _require(actor, action: Action) -> None:
    if not can_site(actor, action):
        if action == Action.EDIT_ROTA:
            raise ModerationError(_("Only Village staff can change the rota."), code="not_allowed")
        raise ModerationError(_("Only site moderators can change this."), code="not_allowed")


@transaction.atomic
def watch_term_add(*, actor, term: str, action: str, note: str = "") -> WatchTerm:
    _require(actor, Action.MANAGE_WATCHLIST)
    if action not in WatchTerm.Action.values:
        raise ModerationError(_("Please choose what should happen."), code="action")
    try:
        normalised = matching.validate_term(term)
    except ValueError as exc:
        raise ModerationError(str(exc), code="term") from None
    if WatchTerm.objects.filter(normalised=normalised).exists():
        raise ModerationError(
            _("That word or phrase is already on the watch list."), code="duplicate"
        )
    entry = WatchTerm.objects.create(
        term=term.strip(),
        normalised=normalised,
        action=action,
        note=(note or "").strip()[:200],
        created_by=actor,
    )
    audit(
        event=AuditEntry.Event.WATCHLIST_EDIT,
        verb=f"add_{action}",
        actor_id=actor.pk,
        data={"term_id": entry.pk},
    )
    return entry


@transaction.atomic
def watch_term_remove(*, actor, term_id: int) -> None:
    _require(actor, Action.MANAGE_WATCHLIST)
    deleted, _n = WatchTerm.objects.filter(pk=term_id).delete()
    if deleted:
        audit(
            event=AuditEntry.Event.WATCHLIST_EDIT,
            verb="remove",
            actor_id=actor.pk,
            data={"term_id": term_id},
        )


@transaction.atomic
def crisis_phrase_add(*, actor, phrase: str) -> CrisisPhrase:
    _require(actor, Action.MANAGE_WATCHLIST)
    try:
        normalised = matching.validate_term(phrase)
    except ValueError as exc:
        raise ModerationError(str(exc), code="term") from None
    if CrisisPhrase.objects.filter(normalised=normalised).exists():
        raise ModerationError(_("That phrase is already on the list."), code="duplicate")
    entry = CrisisPhrase.objects.create(phrase=phrase.strip(), normalised=normalised)
    audit(
        event=AuditEntry.Event.WATCHLIST_EDIT,
        verb="add_crisis",
        actor_id=actor.pk,
        data={"phrase_id": entry.pk},
    )
    return entry


@transaction.atomic
def crisis_phrase_remove(*, actor, phrase_id: int) -> None:
    _require(actor, Action.MANAGE_WATCHLIST)
    deleted, _n = CrisisPhrase.objects.filter(pk=phrase_id).delete()
    if deleted:
        audit(
            event=AuditEntry.Event.WATCHLIST_EDIT,
            verb="remove_crisis",
            actor_id=actor.pk,
            data={"phrase_id": phrase_id},
        )


@transaction.atomic
def helpline_save(*, actor, helpline: Helpline) -> Helpline:
    """Save a helpline edited in a validated form (staff only)."""
    if not can_site(actor, Action.EDIT_HELPLINES):
        raise ModerationError(_("Only staff can change the helplines."), code="not_allowed")
    created = helpline.pk is None
    helpline.save()
    audit(
        event=AuditEntry.Event.HELPLINE_EDIT,
        verb="add" if created else "edit",
        actor_id=actor.pk,
        data={"helpline_id": helpline.pk},
    )
    return helpline


# --- complaints -----------------------------------------------------------------------------


@transaction.atomic
def complaint_submit(*, user, about: str, text: str) -> Complaint:
    if about not in Complaint.About.values:
        raise ModerationError(_("Please choose what your complaint is about."), code="about")
    text = (text or "").strip()
    if is_blank(text):
        raise ModerationError(_("Please tell us what happened."), code="text_required")
    if len(text) > 4000:
        raise ModerationError(_("Please keep it under 4000 characters."), code="too_long")
    complaint = Complaint.objects.create(complainant=user, about=about, text=text)
    audit(
        event=AuditEntry.Event.COMPLAINT,
        verb="received",
        actor_id=user.pk,
        data={"complaint_id": complaint.pk, "about": about},
    )
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    notify(
        user_ids=staff.values_list("pk", flat=True),
        kind=Kind.MODERATION,
        title=_("A new complaint needs an answer"),
        url=reverse("moderation:complaint_detail", args=[complaint.pk]),
    )
    return complaint


@transaction.atomic
def complaint_update(*, actor, complaint_id: int, status: str, outcome: str) -> Complaint:
    if not can_site(actor, Action.VIEW_MODERATION_FIGURES):
        raise ModerationError(_("Only staff can answer complaints."), code="not_allowed")
    if status not in Complaint.Status.values:
        raise ModerationError(_("Please choose a status."), code="status")
    outcome = (outcome or "").strip()
    closing = status in (Complaint.Status.RESOLVED, Complaint.Status.NOT_UPHELD)
    if closing and not outcome:
        raise ModerationError(
            _("Please write the outcome: the member is told it."), code="outcome_required"
        )
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise ModerationError(_("We couldn't find that complaint."), code="not_found")
    complaint.status = status
    complaint.outcome = outcome
    complaint.handled_by = actor
    complaint.closed_at = timezone.now() if closing else None
    complaint.save(update_fields=["status", "outcome", "handled_by", "closed_at"])
    audit(
        event=AuditEntry.Event.COMPLAINT,
        verb=status,
        actor_id=actor.pk,
        reason=outcome,
        data={"complaint_id": complaint.pk},
    )
    if complaint.complainant_id:
        notify(
            user_ids=[complaint.complainant_id],
            kind=Kind.MODERATION,
            title=_("An update on your complaint"),
            body=complaint.get_status_display() + (f": {outcome}" if outcome else ""),
            url=reverse("moderation:complaint_mine"),
        )
        closed_account = not (
            get_user_model().objects.filter(pk=complaint.complainant_id, is_active=True).exists()
        )
        if closed_account:
            closed.letter_on_commit(
                complaint.complainant_id,
                _("An update on your complaint"),
                complaint.get_status_display() + (f": {outcome}" if outcome else ""),
            )
    return complaint


# --- "I've got this": acknowledging an urgent alert -------------------------------------------


class AlreadyAcknowledged(ModerationError):
    def __init__(self, case: Case):
        who = case.acknowledged_by.public_name if case.acknowledged_by else _("A moderator")
        when = date_format(timezone.localtime(case.acknowledged_at), "TIME_FORMAT")
        super().__init__(
            _("%(who)s already picked this up at %(when)s. Nothing was changed.")
            % {"who": who, "when": when},
            code="already_acknowledged",
        )


def alert_acknowledge(*, actor, case_id: int, now=None) -> Case:
    """One tap: `actor` takes an urgent alert. Recorded once, with who and whether they were
    on duty; it stops the rota ladder and the reminders (`urgent_unhandled`), and is not a
    decision: the item stays in the queue until someone closes it. Any moderator may take it,
    on duty or not (someone off duty who sees it first should not have to wait); the record
    says which. Refused, changing nothing: not a moderator, not an open urgent item, or
    already taken (the case row is locked, so two taps at once record one)."""
    if not can_site(actor, Action.ACKNOWLEDGE_ALERT):
        raise ModerationError(
            _("Only moderators can pick up urgent alerts. You can still look at the item."),
            code="not_moderator",
        )
    from .selectors import on_duty_ids

    now = now or timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("acknowledged_by")
            .filter(pk=case_id)
            .first()
        )
        if case is None or not case.urgent:
            raise ModerationError(_("That isn't an urgent alert."), code="not_urgent")
        if case.acknowledged_at is not None:
            raise AlreadyAcknowledged(case)
        if not case.is_open:
            raise AlreadyHandled()
        on = on_duty_ids(now=now)
        case.acknowledged_at = now
        case.acknowledged_by = actor
        case.acknowledged_on_duty = None if on is None else actor.pk in on
        case.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_on_duty"])
        audit(
            event=AuditEntry.Event.ALERT_ACK,
            verb="on_duty" if case.acknowledged_on_duty else "off_duty",
            actor_id=actor.pk,
            group_id=case.group_id,
            case_id=case.pk,
        )
        events.queue_changed_on_commit(group_id=case.group_id, case_id=case.pk)
    log.info("urgent alert acknowledged case=%s by=%s", case.pk, actor.pk)
    return case


# --- the rota ---------------------------------------------------------------------------------


def _rota_person(person_id, *, label: str):
    from groups.permissions import is_site_moderator

    User = get_user_model()
    person = User.objects.filter(pk=person_id, is_active=True).first() if person_id else None
    if person is None or not is_site_moderator(person):
        raise ModerationError(
            _("%(who)s has to be a Village moderator.") % {"who": label}, code="not_moderator"
        )
    return person


def rota_warnings(*, now=None) -> list[str]:
    """What staff should know after a change: stretches of the next week with nobody on
    duty, and shifts left uncovered. Warnings, never refusals: a gap is honest, not wrong
    (the pages then tell members when someone is back)."""
    from . import rota
    from .selectors import rota_duties

    now = now or timezone.now()
    end = now + timedelta(days=7)
    ahead = rota_duties(start=now, end=end)
    out = []
    for start, stop in rota.gaps(ahead, now, end)[:5]:
        out.append(
            _("Nobody is on duty from %(start)s to %(stop)s.")
            % {
                "start": date_format(timezone.localtime(start, rota.UK), "D j M, H:i"),
                "stop": date_format(timezone.localtime(stop, rota.UK), "D j M, H:i"),
            }
        )
    uncovered = [d for d in ahead if d.person_id is None]
    if uncovered:
        out.append(
            _("%(n)s shift(s) in the next week have nobody covering them.") % {"n": len(uncovered)}
        )
    return out


def shift_add(*, actor, person_id, weekday, starts, ends, group=None):
    """A weekly shift for a moderator (staff), or a facilitator's own hours for `group` (the
    facilitator themselves; the caller asked the permission module). Refused: times missing
    or equal, a day that isn't one, someone who isn't a moderator (or the facilitator), or an
    overlap with the same person's other shifts. Returns (shift, warnings)."""
    from . import rota
    from .models import Shift

    if group is None:
        _require(actor, Action.EDIT_ROTA)
        person = _rota_person(person_id, label=_("The person on the shift"))
    else:
        person = actor
    if weekday is None or not 0 <= int(weekday) <= 6:
        raise ModerationError(_("Please choose a day of the week."), code="bad_day")
    if starts is None or ends is None:
        raise ModerationError(_("Please give a start and an end time."), code="bad_times")
    if starts == ends:
        raise ModerationError(
            _("A shift needs to end at a different time from when it starts."), code="empty_shift"
        )
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=person.pk).first()
        mine = Shift.objects.filter(person=person, group=group)
        new = rota.ShiftRow(
            pk=0, person_id=person.pk, weekday=int(weekday), starts=starts, ends=ends
        )
        rows = [
            rota.ShiftRow(
                pk=r.pk, person_id=r.person_id, weekday=r.weekday, starts=r.starts, ends=r.ends
            )
            for r in mine
        ]
        clash = rota.overlapping(new, rows)
        if clash is not None:
            raise ModerationError(
                _(
                    "That overlaps %(who)s's %(day)s shift, %(from)s to %(to)s. Change or "
                    "remove that one first."
                )
                % {
                    "who": person.public_name,
                    "day": _weekday_name(clash.weekday),
                    "from": clash.starts.strftime("%H:%M"),
                    "to": clash.ends.strftime("%H:%M"),
                },
                code="overlap",
            )
        shift = Shift.objects.create(
            person=person, group=group, weekday=int(weekday), starts=starts, ends=ends
        )
        if group is None:
            audit(
                event=AuditEntry.Event.ROTA_EDIT,
                verb="shift_add",
                actor_id=actor.pk,
                target_id=person.pk,
                data={"shift": shift.pk},
            )
    return shift, ([] if group is not None else rota_warnings())


def _weekday_name(day: int) -> str:
    from .models import Weekday

    return str(Weekday(day).label)


def shift_remove(*, actor, shift_id: int, group=None) -> list[str]:
    from .models import Shift

    if group is None:
        _require(actor, Action.EDIT_ROTA)
        found = Shift.objects.filter(pk=shift_id, group__isnull=True)
    else:
        found = Shift.objects.filter(pk=shift_id, group=group, person=actor)
    with transaction.atomic():
        deleted, _rows = found.delete()
        if not deleted:
            raise ModerationError(_("That shift isn't there any more."), code="gone")
        if group is None:
            audit(
                event=AuditEntry.Event.ROTA_EDIT,
                verb="shift_remove",
                actor_id=actor.pk,
                data={"shift": shift_id},
            )
    return [] if group is not None else rota_warnings()


def rota_change_add(
    *,
    actor,
    kind: str,
    person_id,
    starts_on,
    ends_on=None,
    cover_id=None,
    shift_id=None,
    leave_uncovered: bool = False,
):
    """Leave (dates, with a cover or, if staff say so, none) or a one-off swap (one shift on
    one date, to a cover). Refused, changing nothing: dates missing or in the wrong order,
    someone who isn't a moderator, covering for themselves, leave with no cover and no "leave
    it uncovered", a swap of a shift that isn't theirs or isn't on that day, or a cover who is
    already on duty then. Returns (change, warnings)."""
    from .models import RotaChange, Shift

    _require(actor, Action.EDIT_ROTA)
    person = _rota_person(person_id, label=_("The person away"))
    if kind not in RotaChange.Kind.values:
        raise ModerationError(_("Please choose leave or a swap."), code="bad_kind")
    if kind == RotaChange.Kind.SWAP:
        ends_on = starts_on
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ModerationError(
            _("Please give the first and last day, in that order."), code="bad_dates"
        )
    cover = _rota_person(cover_id, label=_("The person covering")) if cover_id else None
    if cover is not None and cover.pk == person.pk:
        raise ModerationError(_("Someone can't cover for themselves."), code="cover_self")
    shift = None
    if kind == RotaChange.Kind.SWAP:
        shift = Shift.objects.filter(pk=shift_id, person=person, group__isnull=True).first()
        if shift is None or shift.weekday != starts_on.weekday():
            raise ModerationError(
                _("Please choose one of %(who)s's shifts, on a day it happens.")
                % {"who": person.public_name},
                code="bad_shift",
            )
        if cover is None:
            raise ModerationError(_("Please choose who takes the shift."), code="cover_missing")
    elif cover is None and not leave_uncovered:
        raise ModerationError(
            _(
                'Please choose who covers %(who)s\'s shifts, or tick "leave them uncovered" '
                "(members are then told when someone is back)."
            )
            % {"who": person.public_name},
            code="cover_missing",
        )
    with transaction.atomic():
        change = RotaChange.objects.create(
            kind=kind,
            person=person,
            cover=cover,
            shift=shift,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        if cover is not None:
            _refuse_double_booking(change, cover)
        audit(
            event=AuditEntry.Event.ROTA_EDIT,
            verb=f"{kind}_add",
            actor_id=actor.pk,
            target_id=person.pk,
            data={"change": change.pk},
        )
    return change, rota_warnings()


def _refuse_double_booking(change, cover) -> None:
    """The cover's own shifts must not overlap what they take on (raises; the caller's
    transaction then rolls the change back)."""
    from . import rota
    from .selectors import rota_duties

    start = rota.uk_instant(change.starts_on, datetime_time.min) - timedelta(days=1)
    end = rota.uk_instant(change.ends_on, datetime_time.min) + timedelta(days=2)
    mine = [d for d in rota_duties(start=start, end=end) if d.person_id == cover.pk]
    for i, a in enumerate(mine):
        for b in mine[i + 1 :]:
            if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                raise ModerationError(
                    _("%(who)s is already on duty then, so can't cover it too.")
                    % {"who": cover.public_name},
                    code="cover_busy",
                )


def rota_change_remove(*, actor, change_id: int) -> list[str]:
    from .models import RotaChange

    _require(actor, Action.EDIT_ROTA)
    with transaction.atomic():
        deleted, _rows = RotaChange.objects.filter(pk=change_id).delete()
        if not deleted:
            raise ModerationError(_("That change isn't there any more."), code="gone")
        audit(
            event=AuditEntry.Event.ROTA_EDIT,
            verb="change_remove",
            actor_id=actor.pk,
            data={"change": change_id},
        )
    return rota_warnings()


def rota_uncovered_warn(*, now=None) -> int:
    """Tell staff, once per shift and day, about shifts in the next week nobody covers (the
    weekly job). Returns how many staff notifications went."""
    from .selectors import uncovered_next_week

    now = now or timezone.now()
    uncovered = uncovered_next_week(now=now)
    if not uncovered:
        return 0
    staff_ids = list(holders_of_site_action(Action.EDIT_ROTA).values_list("pk", flat=True))
    notify(
        user_ids=staff_ids,
        kind=Kind.SAFEGUARDING,
        title=_("%(n)s moderator shift(s) next week have nobody on them") % {"n": len(uncovered)},
        body=_("Please find cover, or members will be told nobody is on duty then."),
        url=reverse("moderation:rota"),
    )
    return len(staff_ids)


# --- groups that need a facilitator -------------------------------------------------------------


def groups_needing_facilitator_raise(*, now=None) -> int:
    """The orphaned-group job. A group needs a facilitator when none of its facilitators is
    active: not away (or away with nobody covering), and logged in or took a register within
    VILLAGE["ORPHAN_GROUP_DAYS"]. Each such group gets one "this group needs a facilitator"
    item for moderators and staff with its last activity, exactly once per episode: not again
    while the episode lasts (even if someone closed the item), and the item closes itself and
    the episode ends when a facilitator is active again. Groups younger than the window are
    left alone. Returns how many items were raised."""
    from .selectors import facilitator_activity

    now = now or timezone.now()
    days = village("ORPHAN_GROUP_DAYS")
    since = now - timedelta(days=days)
    activity = facilitator_activity(since=since, day=timezone.localdate(now))
    raised = 0
    for group in Group.objects.filter(created_at__lte=since).only("pk", "name", "slug"):
        info = activity.get(group.pk, {"active": False, "last": None, "facilitators": 0})
        # "episode_over" is only ever set (to true), so its presence is the test.
        episode = Case.objects.filter(kind=Case.Kind.ORPHANED, group=group).exclude(
            facts__has_key="episode_over"
        )
        if info["active"]:
            for case in episode:
                _orphan_episode_end(case, now)
            continue
        with transaction.atomic():
            Group.objects.select_for_update().filter(pk=group.pk).first()
            if episode.exists():
                continue
            last = info["last"]
            case = Case.objects.create(
                kind=Case.Kind.ORPHANED,
                group=group,
                facts={
                    "last_activity": last.isoformat() if last else None,
                    "facilitators": info["facilitators"],
                    "days": days,
                },
            )
            audit(
                event=AuditEntry.Event.ORPHANED, verb="raised", group_id=group.pk, case_id=case.pk
            )
            events.queue_changed_on_commit(group_id=None, case_id=case.pk)
            staff = site_moderators().values_list("pk", flat=True)
            notify(
                user_ids=list(staff),
                kind=Kind.FACILITATOR,
                title=_("%(group)s needs a facilitator") % {"group": group.name},
                body=_(
                    "Nobody has looked after it for %(days)s days. Please find someone: a "
                    "member could be invited to step up."
                )
                % {"days": days},
                url=reverse("moderation:case", kwargs={"pk": case.pk}),
                group_id=group.pk,
            )
            raised += 1
    return raised


def _orphan_episode_end(case: Case, now) -> None:
    with transaction.atomic():
        case.facts = {**case.facts, "episode_over": True}
        fields = ["facts"]
        if case.is_open:
            case.status = Case.Status.HANDLED
            case.handled_at = now
            fields += ["status", "handled_at"]
            events.queue_changed_on_commit(group_id=None, case_id=case.pk)
        case.save(update_fields=fields)
        audit(
            event=AuditEntry.Event.ORPHANED, verb="ended", group_id=case.group_id, case_id=case.pk
        )

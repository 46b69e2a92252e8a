"""Writes for peer groups and membership.

Every function is keyword-only, does its whole job in one transaction and raises `GroupError`
(a kind, plain message plus a stable `code`) when the request cannot be honoured. Callers
(views, the admin, management commands) have already asked `groups.permissions` whether the
actor may act; these functions keep the invariants that hold whoever calls them: member
limits (checked under a lock on the group row), one membership row per person and group,
banned people stay out, decisions are made once.

Side effects happen after commit: notifications go through `notifications.services.notify`
(itself on-commit for pushes and email), and removing someone from a group tells their open
chat sockets at once through `realtime.sender.send_to_user_on_commit`.

Audit trail: each decision is kept on the membership row (`decided_by`, `decision_message`,
`updated_at`) and logged here by id only (never names, emails or message text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.text import is_blank
from core.errors import ServiceError
from notifications.models import Kind
from notifications.services import notify
from realtime.events import UserEvent
from realtime.sender import send_to_user_on_commit

from . import selectors
from .models import Group, Invite, Membership, Topic
from .permissions import is_site_moderator, site_moderators

log = logging.getLogger("village.groups")

MAX_JOIN_QUESTIONS = 3
MAX_ANSWER_CHARS = 1000
DEFAULT_INVITE_DAYS = 14
#: Slugs that would clash with the groups app's own URLs.
RESERVED_SLUGS = frozenset({"new", "invite", "invites", "create", "admin"})

S = Membership.Status


class GroupError(ServiceError):
    """A request about a group we cannot honour (see `core.errors.ServiceError`)."""


# --- helpers ------------------------------------------------------------------------------


def _lock_group(group_id: int) -> Group:
    return Group.objects.select_for_update().get(pk=group_id)


def _active_count(group: Group) -> int:
    return Membership.objects.filter(group=group, status=S.ACTIVE).count()


def _check_room(group: Group) -> None:
    """Caller holds the group lock, so two last-place joins cannot both succeed."""
    if group.member_limit is not None and _active_count(group) >= group.member_limit:
        raise GroupError(
            _("Sorry, this group is full at the moment. A facilitator may be able to help."),
            code="full",
        )


def _existing(user_id: int, group: Group) -> Membership | None:
    return Membership.objects.select_for_update().filter(user_id=user_id, group=group).first()


def _refuse_if_present(membership: Membership | None) -> None:
    if membership is None:
        return
    if membership.status == S.BANNED:
        raise GroupError(_("Sorry, you can't join this group."), code="banned")
    if membership.status == S.ACTIVE:
        raise GroupError(_("You're already a member of this group."), code="already_member")


def _refuse_if_last_facilitator(membership: Membership) -> None:
    """Caller holds the group lock (taken before any membership row), so two facilitators
    stepping away at the same moment are serialised: the second sees the first has gone."""
    if selectors.is_last_facilitator(membership=membership):
        raise GroupError(
            _("You're the only facilitator — make someone else a facilitator first."),
            code="last_facilitator",
        )


def tell_staff_no_facilitator(*, group: Group) -> None:
    """A group has just lost its last facilitator (a moderator removed them, or they deleted
    their account, which we never refuse). Site moderators and staff are told, so someone
    appoints a new one before the group drifts."""
    if Membership.objects.facilitators().filter(group=group).exists():
        return
    ids = list(site_moderators().values_list("pk", flat=True))
    log.info("group without facilitator group=%s", group.pk)
    if not ids:
        return
    notify(
        user_ids=ids,
        kind=Kind.FACILITATOR,
        title=_("%(group)s has no facilitator now") % {"group": group.name},
        body=_(
            "Its last facilitator is no longer in the group. Please ask a trusted member to "
            "step up, and make them a facilitator on the members page."
        ),
        url=reverse("groups:members", kwargs={"slug": group.slug}),
        group_id=group.pk,
    )


def _revoke_on_commit(membership: Membership) -> None:
    send_to_user_on_commit(
        membership.user_id, {"type": UserEvent.MEMBERSHIP_REVOKED, "group_id": membership.group_id}
    )


def _facilitator_ids(group: Group) -> list[int]:
    return list(
        Membership.objects.facilitators().filter(group=group).values_list("user_id", flat=True)
    )


def _group_url(group: Group) -> str:
    return reverse("groups:detail", kwargs={"slug": group.slug})


def clean_join_questions(questions: Iterable[str]) -> list[str]:
    cleaned = [q.strip() for q in questions if not is_blank(q)]
    if len(cleaned) > MAX_JOIN_QUESTIONS:
        raise GroupError(_("A group can ask at most three questions."), code="too_many_questions")
    return cleaned


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:100] or "group"
    if base in RESERVED_SLUGS:
        base = f"{base}-group"
    taken = Group.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    taken_slugs = set(taken.values_list("slug", flat=True))
    if base not in taken_slugs:
        return base
    n = 2
    while f"{base}-{n}" in taken_slugs:
        n += 1
    return f"{base}-{n}"


# --- groups -------------------------------------------------------------------------------


def group_create(
    *,
    name: str,
    created_by=None,
    facilitator=None,
    description: str = "",
    topics: Iterable[Topic] = (),
    area: str = "",
    meeting_mode: str = Group.MeetingMode.IN_PERSON,
    visibility: str = Group.Visibility.LISTED,
    join_policy: str = Group.JoinPolicy.OPEN,
    join_questions: Sequence[str] = (),
    member_limit: int | None = None,
    time_zone: str = "Europe/London",
    house_rules: str = "",
    private_details_check: bool = True,
) -> Group:
    """Create a group with a unique slug made from its name ("-2", "-3"... for repeats).

    `facilitator`, if given, becomes the group's first facilitator.
    """
    name = name.strip()
    if is_blank(name):
        raise GroupError(_("Please give the group a name."), code="no_name")
    questions = clean_join_questions(join_questions)
    for _attempt in range(5):
        slug = unique_slug(name)
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    name=name,
                    slug=slug,
                    description=description,
                    area=area.strip(),
                    meeting_mode=meeting_mode,
                    visibility=visibility,
                    join_policy=join_policy,
                    join_questions=questions,
                    member_limit=member_limit,
                    time_zone=time_zone,
                    house_rules=house_rules,
                    private_details_check=private_details_check,
                )
                group.topics.set(list(topics))
                if facilitator is not None:
                    Membership.objects.create(
                        user=facilitator,
                        group=group,
                        role=Membership.Role.FACILITATOR,
                        status=S.ACTIVE,
                        joined_at=timezone.now(),
                        decided_by=created_by,
                    )
                log.info("group created group=%s by=%s", group.pk, getattr(created_by, "pk", None))
                return group
        except IntegrityError:
            # Someone took the same slug between our check and our insert: pick again.
            if Group.objects.filter(slug=slug).exists():
                continue
            raise
    raise GroupError(_("Please try again in a moment."), code="slug_busy")


@transaction.atomic
def group_update(*, group: Group, actor, topics: Iterable[Topic] | None = None, **fields) -> Group:
    """Change a group's details. The slug stays put so links people have shared keep working."""
    allowed = {
        "name", "description", "area", "meeting_mode", "visibility", "join_policy",
        "join_questions", "member_limit", "time_zone", "house_rules", "private_details_check",
    }  # fmt: skip
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if is_blank(fields["name"]):
            raise GroupError(_("Please give the group a name."), code="no_name")
    if "join_questions" in fields:
        fields["join_questions"] = clean_join_questions(fields["join_questions"])
    locked = _lock_group(group.pk)
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    if topics is not None:
        locked.topics.set(list(topics))
    log.info("group updated group=%s by=%s", locked.pk, getattr(actor, "pk", None))
    return locked


# --- joining ------------------------------------------------------------------------------


def _activate(
    membership: Membership | None, *, user_id: int, group: Group, decided_by=None
) -> Membership:
    now = timezone.now()
    if membership is None:
        return Membership.objects.create(
            user_id=user_id,
            group=group,
            role=Membership.Role.MEMBER,
            status=S.ACTIVE,
            joined_at=now,
            decided_by=decided_by,
        )
    membership.status = S.ACTIVE
    membership.role = Membership.Role.MEMBER
    membership.joined_at = now
    membership.muted_until = None
    if decided_by is not None:
        membership.decided_by = decided_by
    membership.save()
    return membership


@transaction.atomic
def membership_join(*, user, group: Group) -> Membership:
    """Join a listed group that anyone may join."""
    group = _lock_group(group.pk)
    if group.join_policy != Group.JoinPolicy.OPEN or group.visibility != Group.Visibility.LISTED:
        raise GroupError(
            _("This group doesn't take new members directly. You can ask to join instead.")
            if group.join_policy == Group.JoinPolicy.REQUEST
            else _("This group is by invitation only."),
            code="not_open",
        )
    membership = _existing(user.pk, group)
    _refuse_if_present(membership)
    _check_room(group)
    membership = _activate(membership, user_id=user.pk, group=group)
    log.info("membership joined group=%s user=%s", group.pk, user.pk)
    return membership


@transaction.atomic
def membership_request(*, user, group: Group, answers: Sequence[str] = ()) -> Membership:
    """Ask to join a group that takes requests; facilitators are told."""
    group = _lock_group(group.pk)
    if group.join_policy != Group.JoinPolicy.REQUEST:
        raise GroupError(_("This group doesn't take requests to join."), code="not_request")
    membership = _existing(user.pk, group)
    _refuse_if_present(membership)
    if membership is not None and membership.status == S.PENDING:
        raise GroupError(
            _("You've already asked to join. A facilitator will get back to you."),
            code="already_pending",
        )
    _check_room(group)
    questions = list(group.join_questions or [])[:MAX_JOIN_QUESTIONS]
    answers = [(a or "").strip() for a in answers]
    if len(answers) != len(questions) or any(is_blank(a) for a in answers):
        raise GroupError(_("Please answer each question."), code="answers_missing")
    if any(len(a) > MAX_ANSWER_CHARS for a in answers):
        raise GroupError(
            _("Please keep each answer under %(n)s characters.") % {"n": MAX_ANSWER_CHARS},
            code="answer_too_long",
        )
    record = [{"question": q, "answer": a} for q, a in zip(questions, answers, strict=True)]
    if membership is None:
        membership = Membership.objects.create(
            user=user, group=group, status=S.PENDING, request_answers=record
        )
    else:
        membership.status = S.PENDING
        membership.role = Membership.Role.MEMBER
        membership.request_answers = record
        membership.decision_message = ""
        membership.decided_by = None
        membership.created_at = timezone.now()
        membership.save()
    notify(
        user_ids=_facilitator_ids(group),
        kind=Kind.FACILITATOR,
        title=_("Someone has asked to join %(group)s") % {"group": group.name},
        body=_("%(name)s would like to join. You can say yes or no on the members page.")
        % {"name": user.public_name},
        url=reverse("groups:members", kwargs={"slug": group.slug}),
        group_id=group.pk,
    )
    log.info("membership requested group=%s user=%s", group.pk, user.pk)
    return membership


def _pending_for_decision(membership_id: int, group_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, group_id=group_id)
        .first()
    )
    if membership is None:
        raise GroupError(_("We couldn't find that request."), code="not_found")
    if membership.status != S.PENDING:
        raise GroupError(_("That request has already been answered."), code="already_handled")
    return membership


@transaction.atomic
def membership_approve(*, membership: Membership, actor, message: str = "") -> Membership:
    """Say yes to a request. The member is told (with the optional message)."""
    group = _lock_group(membership.group_id)
    membership = _pending_for_decision(membership.pk, group.pk)
    _check_room(group)
    membership = _activate(membership, user_id=membership.user_id, group=group, decided_by=actor)
    membership.decision_message = message.strip()[:500]
    membership.save(update_fields=["decision_message", "updated_at"])
    notify(
        user_ids=[membership.user_id],
        kind=Kind.MEMBERSHIP,
        title=_("Welcome to %(group)s!") % {"group": group.name},
        body=membership.decision_message
        or _("Your request to join was accepted. Come and say hello."),
        url=_group_url(group),
        group_id=group.pk,
    )
    log.info("membership approved group=%s member=%s by=%s", group.pk, membership.pk, actor.pk)
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, actor, message: str = "") -> Membership:
    """Say no to a request, kindly. The member is told (with the optional message)."""
    group = _lock_group(membership.group_id)
    membership = _pending_for_decision(membership.pk, group.pk)
    membership.status = S.DECLINED
    membership.decided_by = actor
    membership.decision_message = message.strip()[:500]
    membership.save()
    notify(
        user_ids=[membership.user_id],
        kind=Kind.MEMBERSHIP,
        title=_("About your request to join %(group)s") % {"group": group.name},
        body=membership.decision_message
        or _(
            "The facilitators can't take you into this group just now. Other groups may suit you."
        ),
        url=reverse("groups:directory"),
        group_id=group.pk,
    )
    log.info("membership declined group=%s member=%s by=%s", group.pk, membership.pk, actor.pk)
    return membership


@transaction.atomic
def membership_leave(*, user, group: Group) -> Membership:
    """Leave a group (or withdraw a request). Open chat sockets are cut off at once.

    The last facilitator may not leave: the group would be stranded with nobody to welcome
    people or plan meetups. The group row is locked first, as everywhere else, so two
    facilitators leaving at once cannot both go."""
    group = _lock_group(group.pk)
    membership = _existing(user.pk, group)
    if membership is None or membership.status not in (S.ACTIVE, S.PENDING):
        raise GroupError(_("You're not a member of this group."), code="not_member")
    _refuse_if_last_facilitator(membership)
    was_active = membership.status == S.ACTIVE
    membership.status = S.LEFT
    membership.role = Membership.Role.MEMBER
    membership.save()
    if was_active:
        _revoke_on_commit(membership)
    log.info("membership left group=%s user=%s", group.pk, user.pk)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor, ban: bool = False) -> Membership:
    """Take someone out of a group (facilitators, moderators, staff). With `ban`, they cannot
    join or ask again. Their open chat sockets are cut off at once.

    A group's last facilitator can't be removed by a facilitator (there is none other) and is
    refused for anyone else too, except site moderators and staff: safeguarding comes first,
    and they can appoint a new facilitator from the admin."""
    _lock_group(membership.group_id)
    locked = (
        Membership.objects.select_for_update()
        .filter(pk=membership.pk, group_id=membership.group_id)
        .first()
    )
    if locked is None:
        raise GroupError(_("We couldn't find that member."), code="not_found")
    if locked.user_id == actor.pk:
        raise GroupError(
            _("You can't remove yourself. Use “Leave this group” instead."), code="self"
        )
    if locked.status == S.BANNED or (not ban and locked.status != S.ACTIVE):
        raise GroupError(_("They're not a member of this group any more."), code="not_member")
    if not is_site_moderator(actor):
        try:
            _refuse_if_last_facilitator(locked)
        except GroupError:
            raise GroupError(
                _("They're the only facilitator — make someone else a facilitator first."),
                code="last_facilitator",
            ) from None
    was_active = locked.status == S.ACTIVE
    was_facilitator = locked.is_facilitator
    locked.status = S.BANNED if ban else S.REMOVED
    locked.role = Membership.Role.MEMBER
    locked.decided_by = actor
    locked.save()
    if was_facilitator:
        tell_staff_no_facilitator(group=locked.group)
    if was_active:
        _revoke_on_commit(locked)
    log.info(
        "membership %s group=%s member=%s by=%s",
        "banned" if ban else "removed",
        locked.group_id,
        locked.pk,
        actor.pk,
    )
    return locked


@transaction.atomic
def membership_make_facilitator(*, membership: Membership, actor) -> Membership:
    locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if locked is None or locked.status != S.ACTIVE:
        raise GroupError(_("Only current members can become facilitators."), code="not_member")
    if locked.role == Membership.Role.FACILITATOR:
        raise GroupError(_("They're already a facilitator."), code="already_facilitator")
    locked.role = Membership.Role.FACILITATOR
    locked.decided_by = actor
    locked.save()
    group = locked.group
    notify(
        user_ids=[locked.user_id],
        kind=Kind.MEMBERSHIP,
        title=_("You're now a facilitator of %(group)s") % {"group": group.name},
        body=_("Thank you for helping. You can now welcome new members and plan meetups."),
        url=_group_url(group),
        group_id=group.pk,
    )
    log.info("membership facilitator group=%s member=%s by=%s", group.pk, locked.pk, actor.pk)
    return locked


@transaction.atomic
def membership_step_down(*, user, group: Group) -> Membership:
    """A facilitator goes back to being an ordinary member. Refused for the last facilitator,
    under the group lock, exactly like leaving."""
    group = _lock_group(group.pk)
    membership = _existing(user.pk, group)
    if membership is None or not membership.is_facilitator:
        raise GroupError(_("You're not a facilitator of this group."), code="not_facilitator")
    _refuse_if_last_facilitator(membership)
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["role", "updated_at"])
    log.info("membership stepped down group=%s user=%s", group.pk, user.pk)
    return membership


# --- invites ------------------------------------------------------------------------------


@transaction.atomic
def invite_create(*, group: Group, created_by, days: int = DEFAULT_INVITE_DAYS) -> Invite:
    if not 1 <= days <= 90:
        raise GroupError(_("An invite can last between 1 and 90 days."), code="bad_days")
    now = timezone.now()
    invite = Invite.objects.create(
        group=group, created_by=created_by, created_at=now, expires_at=now + timedelta(days=days)
    )
    log.info("invite created group=%s invite=%s by=%s", group.pk, invite.pk, created_by.pk)
    return invite


@transaction.atomic
def invite_revoke(*, invite: Invite, actor) -> Invite:
    locked = Invite.objects.select_for_update().get(pk=invite.pk)
    if locked.revoked_at is not None:
        raise GroupError(_("That invite link was already switched off."), code="already_revoked")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    log.info("invite revoked group=%s invite=%s by=%s", locked.group_id, locked.pk, actor.pk)
    return locked


def invite_problem(invite: Invite | None) -> GroupError | None:
    """Why an invite can't be used (for the landing page), or None."""
    if invite is None:
        return GroupError(
            _("We don't recognise this invite link. Please check it, or ask for a new one."),
            code="invalid",
        )
    if invite.revoked_at is not None:
        return GroupError(
            _("This invite link has been switched off. Please ask the group for a new one."),
            code="revoked",
        )
    if not invite.is_usable():
        return GroupError(
            _("This invite link has expired. Please ask the group for a new one."),
            code="expired",
        )
    return None


@transaction.atomic
def invite_accept(*, token: str, user) -> Membership:
    """Join through an invite link: works for invite-only and unlisted groups too, but still
    respects the member limit and bans."""
    invite = Invite.objects.select_for_update().filter(token=token).first()
    problem = invite_problem(invite)
    if problem:
        raise problem
    assert invite is not None  # invite_problem refuses a missing invite
    group = _lock_group(invite.group_id)
    membership = _existing(user.pk, group)
    _refuse_if_present(membership)
    _check_room(group)
    membership = _activate(membership, user_id=user.pk, group=group)
    invite.uses += 1
    invite.save(update_fields=["uses"])
    log.info("invite accepted group=%s invite=%s user=%s", group.pk, invite.pk, user.pk)
    return membership


# --- cover: "I'm away" ----------------------------------------------------------------------

MAX_AWAY_DAYS = 92


@transaction.atomic
def away_set(
    *,
    membership: Membership,
    starts_on,
    ends_on,
    cover_user_id: int | None = None,
    ask_moderators: bool = False,
):
    """A facilitator marks themselves away from `group` for the dates. The cover must be a
    co-facilitator of the group (a member is made one first, through the members page); with
    nobody to cover, they may ask the moderators, who are told. Refused, changing nothing:
    dates in the wrong order or in the past, more than three months, overlapping dates
    already set, cover by someone not in the group or not a facilitator of it, or neither
    cover nor the moderators asked."""
    from .models import FacilitatorAway

    group = _lock_group(membership.group_id)
    today = timezone.localdate()
    if not membership.is_facilitator:
        raise GroupError(_("You're not a facilitator of this group."), code="not_facilitator")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise GroupError(
            _("Please give the day you go and the day you're back, in that order."),
            code="away_dates",
        )
    if ends_on < today:
        raise GroupError(_("Those dates are already over."), code="away_past")
    if (ends_on - starts_on).days >= MAX_AWAY_DAYS:
        raise GroupError(_("Please mark at most three months at a time."), code="away_too_long")
    if FacilitatorAway.objects.filter(
        membership=membership, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).exists():
        raise GroupError(
            _("You've already said you're away on some of those days. Change those first."),
            code="away_overlap",
        )
    if cover_user_id is not None:
        cover = Membership.objects.filter(group=group, user_id=cover_user_id).first()
        if cover is None or not cover.is_active:
            raise GroupError(
                _("The person covering has to be a member of this group."),
                code="cover_not_member",
            )
        if cover.user_id == membership.user_id:
            raise GroupError(_("You can't cover for yourself."), code="cover_self")
        if not cover.is_facilitator:
            raise GroupError(
                _(
                    "The person covering has to be a co-facilitator. Make them a facilitator "
                    "on the members page first, or ask the moderators to cover."
                ),
                code="cover_not_facilitator",
            )
    elif not ask_moderators:
        raise GroupError(
            _("Please choose who covers while you're away, or ask the moderators."),
            code="cover_missing",
        )
    away = FacilitatorAway.objects.create(
        membership=membership,
        group=group,
        starts_on=starts_on,
        ends_on=ends_on,
        cover_id=cover_user_id,
        ask_moderators=cover_user_id is None,
    )
    name = membership.user.public_name
    when = {"group": group.name, "name": name, "from": starts_on, "to": ends_on}
    if cover_user_id is not None:
        notify(
            user_ids=[cover_user_id],
            kind=Kind.FACILITATOR,
            title=_("You're covering %(group)s from %(from)s to %(to)s") % when,
            body=_(
                "%(name)s is away. You'll get the register, the reminders and the drift view "
                "for the group meanwhile. Thank you."
            )
            % when,
            url=_group_url(group),
            group_id=group.pk,
        )
    else:
        notify(
            user_ids=list(site_moderators().values_list("pk", flat=True)),
            kind=Kind.FACILITATOR,
            title=_("%(group)s needs cover from %(from)s to %(to)s") % when,
            body=_(
                "Its facilitator %(name)s is away and asked the moderators to look after "
                "the group meanwhile."
            )
            % when,
            url=reverse("groups:members", kwargs={"slug": group.slug}),
            group_id=group.pk,
        )
    log.info("facilitator away group=%s member=%s", group.pk, membership.pk)
    return away


@transaction.atomic
def away_cancel(*, membership: Membership, away_id: int) -> None:
    """Back early, or plans changed: the facilitator's own away dates only."""
    from .models import FacilitatorAway

    deleted, _rows = FacilitatorAway.objects.filter(pk=away_id, membership=membership).delete()
    if not deleted:
        raise GroupError(_("Those away dates aren't there any more."), code="away_gone")

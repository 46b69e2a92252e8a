"""The one place that decides who may do what in Village.

Views, websocket consumers, Huey tasks and services ask here; nothing else decides.
`access_*` fetchers return the object with the caller's membership or raise. For a group the
caller may not even see, "does not exist" and "not yours" are the same 404, so an unlisted
group's existence never leaks.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from config.sharedcache import cache_degraded, cache_failed, shared_cache, shared_redis

from .models import Group, Membership

log = logging.getLogger(__name__)


class Role(enum.StrEnum):
    ANONYMOUS = "anonymous"  # not logged in
    OUTSIDER = "outsider"  # logged in, not a member (or left, declined, removed, banned)
    PENDING = "pending"  # asked to join, not yet approved
    MEMBER = "member"
    FACILITATOR = "facilitator"  # of this group
    MODERATOR = "moderator"  # site-wide
    STAFF = "staff"
    CHECKIN_MEMBER = "checkin_member"  # the member a private check-in is with (checkins/)
    REFERRAL_MEMBER = "referral_member"  # the member a referral is for (directory/)
    REFERRAL_FACILITATOR = "referral_facilitator"  # the facilitator who offered it


class Action(enum.StrEnum):
    # groups
    VIEW_GROUP = "view_group"
    JOIN_GROUP = "join_group"
    REQUEST_TO_JOIN = "request_to_join"
    LEAVE_GROUP = "leave_group"
    VIEW_MEMBERS = "view_members"
    MANAGE_MEMBERS = "manage_members"  # approve/decline requests, remove
    MAKE_FACILITATOR = "make_facilitator"  # a member steps up (moderators too: orphaned groups)
    MANAGE_INVITES = "manage_invites"
    EDIT_GROUP = "edit_group"
    # chat
    READ_CHAT = "read_chat"
    POST_MESSAGE = "post_message"
    REACT = "react"
    PIN_MESSAGE = "pin_message"
    SET_SLOW_MODE = "set_slow_mode"
    # meetups
    VIEW_MEETUPS = "view_meetups"
    RSVP = "rsvp"
    CHECK_IN = "check_in"
    SCHEDULE_MEETUP = "schedule_meetup"
    TAKE_REGISTER = "take_register"
    VIEW_ATTENDANCE = "view_attendance"
    # moderation within a group
    REPORT_CONTENT = "report_content"
    VIEW_GROUP_QUEUE = "view_group_queue"
    HIDE_MESSAGE = "hide_message"
    DELETE_MESSAGE = "delete_message"
    WARN_MEMBER = "warn_member"
    MUTE_MEMBER = "mute_member"
    REMOVE_MEMBER = "remove_member"
    # private check-ins (checkins/): never member to member
    START_CHECKIN = "start_checkin"  # with a member of the group
    ASK_FACILITATORS = "ask_facilitators"  # a member opens their own
    ADD_CASE_NOTE = "add_case_note"  # a private note on a queue item ("what we did")
    PASS_TO_SAFEGUARDING_LEAD = "pass_to_safeguarding_lead"
    # cover: a facilitator's own hours and "I'm away" dates for the group
    SET_OWN_HOURS = "set_own_hours"
    MARK_AWAY = "mark_away"
    # site-wide (no group)
    CREATE_GROUP = "create_group"
    VIEW_SITE_QUEUE = "view_site_queue"
    SUSPEND_USER = "suspend_user"
    BAN_USER = "ban_user"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_WATCHLIST = "manage_watchlist"
    DECIDE_APPEAL = "decide_appeal"
    VIEW_MODERATION_FIGURES = "view_moderation_figures"
    EDIT_HELPLINES = "edit_helplines"
    # the services directory (directory/)
    ADD_LOCAL_ENTRY = "add_local_entry"  # a group's own trusted contact
    OFFER_REFERRAL = "offer_referral"  # a facilitator offers to refer a member of the group
    APPROVE_LOCAL_ENTRY = "approve_local_entry"  # share a local entry with everyone
    SET_REFERRAL_CONTACT = "set_referral_contact"
    VIEW_REFERRAL = "view_referral"
    CONSENT_REFERRAL = "consent_referral"
    WITHDRAW_REFERRAL = "withdraw_referral"
    VIEW_ROTA = "view_rota"  # who is on duty, and the week's rota
    EDIT_ROTA = "edit_rota"
    # "I've got this" on an urgent alert: any moderator, on duty or not (who is recorded).
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    MANAGE_RISK_ASSESSMENT = "manage_risk_assessment"


R = Role
_MEMBERS = frozenset({R.MEMBER, R.FACILITATOR})
_LEADS = frozenset({R.FACILITATOR, R.STAFF})
_MODS = frozenset({R.FACILITATOR, R.MODERATOR, R.STAFF})

#: Which roles may take each action in a group. A caller holds every role that applies
#: (a facilitator who is also a site moderator holds both).
GROUP_POLICY: dict[Action, frozenset[Role]] = {
    Action.VIEW_GROUP: frozenset(
        {R.ANONYMOUS, R.OUTSIDER, R.PENDING, R.MEMBER, R.FACILITATOR, R.MODERATOR, R.STAFF}
    ),
    Action.JOIN_GROUP: frozenset({R.OUTSIDER}),
    Action.REQUEST_TO_JOIN: frozenset({R.OUTSIDER}),
    Action.LEAVE_GROUP: frozenset({R.PENDING, R.MEMBER, R.FACILITATOR}),
    Action.VIEW_MEMBERS: _MEMBERS | {R.MODERATOR, R.STAFF},
    Action.MANAGE_MEMBERS: _LEADS,
    # Moderators too, so a group with no active facilitator can be given one (docs/
    # safeguarding.md, "A group that needs a facilitator"); the last-facilitator rules hold.
    Action.MAKE_FACILITATOR: _MODS,
    Action.MANAGE_INVITES: _LEADS,
    Action.EDIT_GROUP: _LEADS,
    Action.READ_CHAT: _MEMBERS | {R.MODERATOR, R.STAFF},
    Action.POST_MESSAGE: _MEMBERS,
    Action.REACT: _MEMBERS,
    Action.PIN_MESSAGE: frozenset({R.FACILITATOR}),
    Action.SET_SLOW_MODE: frozenset({R.FACILITATOR}),
    Action.VIEW_MEETUPS: _MEMBERS | {R.MODERATOR, R.STAFF},
    Action.RSVP: _MEMBERS,
    Action.CHECK_IN: _MEMBERS,
    Action.SCHEDULE_MEETUP: _LEADS,
    Action.TAKE_REGISTER: _LEADS,
    Action.VIEW_ATTENDANCE: _LEADS,
    Action.REPORT_CONTENT: _MEMBERS,
    Action.VIEW_GROUP_QUEUE: _MODS,
    Action.HIDE_MESSAGE: _MODS,
    Action.DELETE_MESSAGE: frozenset({R.MODERATOR, R.STAFF}),
    Action.WARN_MEMBER: _MODS,
    Action.MUTE_MEMBER: _MODS,
    Action.REMOVE_MEMBER: _MODS,
    Action.START_CHECKIN: _MODS,
    Action.ASK_FACILITATORS: _MEMBERS,
    # Whoever may look at an item may record what they did and pass it on.
    Action.ADD_CASE_NOTE: _MODS,
    Action.PASS_TO_SAFEGUARDING_LEAD: _MODS,
    Action.ADD_LOCAL_ENTRY: _LEADS,
    Action.OFFER_REFERRAL: frozenset({R.FACILITATOR}),
    Action.SET_OWN_HOURS: frozenset({R.FACILITATOR}),
    Action.MARK_AWAY: frozenset({R.FACILITATOR}),
}

_IN_CHECKIN = frozenset({R.CHECKIN_MEMBER, R.FACILITATOR, R.MODERATOR, R.STAFF})
#: What may be done in a private check-in, and by whom: the member it is with, the group's
#: facilitators, and site moderators and staff (on safeguarding grounds; the page says so).
#: Another member of the group holds none of these roles, and is told the check-in does not
#: exist. A member who left or was removed is no longer its member.
CHECKIN_POLICY: dict[Action, frozenset[Role]] = {
    Action.READ_CHAT: _IN_CHECKIN,
    Action.POST_MESSAGE: _IN_CHECKIN,
    Action.REACT: _IN_CHECKIN,
    Action.REPORT_CONTENT: frozenset({R.CHECKIN_MEMBER, R.FACILITATOR}),
}
#: A suspended account may not post in a check-in either; a member muted in the group's room
#: still may: talking to the facilitators privately is what a muted member may need most.
CHECKIN_SILENCED = frozenset({Action.POST_MESSAGE, Action.REACT})

#: Site-wide actions that belong to no group.
SITE_POLICY: dict[Action, frozenset[Role]] = {
    Action.CREATE_GROUP: frozenset({R.STAFF}),
    Action.VIEW_SITE_QUEUE: frozenset({R.MODERATOR, R.STAFF}),
    Action.SUSPEND_USER: frozenset({R.MODERATOR, R.STAFF}),
    Action.BAN_USER: frozenset({R.MODERATOR, R.STAFF}),
    Action.VIEW_AUDIT_LOG: frozenset({R.MODERATOR, R.STAFF}),
    Action.MANAGE_WATCHLIST: frozenset({R.MODERATOR, R.STAFF}),
    Action.DECIDE_APPEAL: frozenset({R.MODERATOR, R.STAFF}),
    Action.VIEW_MODERATION_FIGURES: frozenset({R.STAFF}),
    Action.EDIT_HELPLINES: frozenset({R.STAFF}),
    Action.APPROVE_LOCAL_ENTRY: frozenset({R.MODERATOR, R.STAFF}),
    Action.SET_REFERRAL_CONTACT: frozenset({R.MODERATOR, R.STAFF}),
    Action.VIEW_ROTA: frozenset({R.MODERATOR, R.STAFF}),
    Action.EDIT_ROTA: frozenset({R.STAFF}),
    Action.ACKNOWLEDGE_ALERT: frozenset({R.MODERATOR, R.STAFF}),
    Action.MANAGE_RISK_ASSESSMENT: frozenset({R.STAFF}),
}

#: Who may do what with a referral (directory/). Referrals are sensitive (health, children,
#: money): only the member it is for, the facilitator who offered it, and site moderators and
#: staff see it. Only the member may agree to it or withdraw it. Another member, or a
#: facilitator of the same group who did not offer it, holds none of these roles.
REFERRAL_POLICY: dict[Action, frozenset[Role]] = {
    Action.VIEW_REFERRAL: frozenset(
        {R.REFERRAL_MEMBER, R.REFERRAL_FACILITATOR, R.MODERATOR, R.STAFF}
    ),
    Action.CONSENT_REFERRAL: frozenset({R.REFERRAL_MEMBER}),
    Action.WITHDRAW_REFERRAL: frozenset({R.REFERRAL_MEMBER}),
}

#: Which permission each decision on a moderation queue item needs, by the decision's kind
#: (`moderation.models.ModAction.Kind`). Dismissing and approving undo a hide, so they need the
#: permission to hide; marking an item looked after or the person safe needs only the queue.
CASE_GROUP_POLICY: dict[str, Action] = {
    "dismiss": Action.HIDE_MESSAGE,
    "approve": Action.HIDE_MESSAGE,
    "hide": Action.HIDE_MESSAGE,
    "delete": Action.DELETE_MESSAGE,
    "warn": Action.WARN_MEMBER,
    "mute": Action.MUTE_MEMBER,
    "remove": Action.REMOVE_MEMBER,
    "acknowledge": Action.VIEW_GROUP_QUEUE,
    "safe": Action.VIEW_GROUP_QUEUE,
}
#: Decisions on a queue item that reach beyond its group: site-wide actions.
CASE_SITE_POLICY: dict[str, Action] = {"suspend": Action.SUSPEND_USER, "ban": Action.BAN_USER}

#: Actions that a muted member (in that group) or a suspended member (anywhere) may not take.
SILENCED_ACTIONS = frozenset({Action.POST_MESSAGE, Action.REACT, Action.PIN_MESSAGE})
#: Groups an outsider may not even see unless they hold one of these roles.
_SEES_UNLISTED = frozenset({R.PENDING, R.MEMBER, R.FACILITATOR, R.MODERATOR, R.STAFF})


def site_roles(user) -> frozenset[Role]:
    if user is None or not user.is_authenticated:
        return frozenset({R.ANONYMOUS})
    if not user.is_active:
        return frozenset()
    roles = set()
    if user.is_moderator:
        roles.add(R.MODERATOR)
    if user.is_staff:
        roles.add(R.STAFF)
    return frozenset(roles)


def group_roles(user, group: Group, membership: Membership | None) -> frozenset[Role]:
    """Every role `user` holds in `group`. `membership` must be the user's row or None."""
    roles = set(site_roles(user))
    if R.ANONYMOUS in roles or not (user and user.is_active):
        return frozenset(roles)
    if membership is None or membership.status in (
        Membership.Status.LEFT,
        Membership.Status.DECLINED,
        Membership.Status.REMOVED,
    ):
        roles.add(R.OUTSIDER)
    elif membership.status == Membership.Status.PENDING:
        roles.add(R.PENDING)
    elif membership.status == Membership.Status.ACTIVE:
        roles.add(R.MEMBER)
        if membership.role == Membership.Role.FACILITATOR:
            roles.add(R.FACILITATOR)
    # BANNED: no group role at all, not even outsider (cannot join or ask again).
    return frozenset(roles)


def can_see_group(roles: frozenset[Role], group: Group) -> bool:
    if group.visibility == Group.Visibility.LISTED:
        return True
    return bool(roles & _SEES_UNLISTED)


def can(user, action: Action, group: Group, membership: Membership | None = None) -> bool:
    """May `user` take `action` in `group`? `membership` is the user's row (or None)."""
    if membership is not None and membership.user_id != getattr(user, "pk", None):
        raise ValueError("membership belongs to another user")
    roles = group_roles(user, group, membership)
    if not can_see_group(roles, group):
        return False
    if action is Action.VIEW_GROUP:
        return True
    if action not in GROUP_POLICY:
        raise ValueError(f"{action} is not a group action")
    if not roles & GROUP_POLICY[action]:
        return False
    if action in SILENCED_ACTIONS and _silenced(user, membership):
        return False
    if action is Action.JOIN_GROUP and group.join_policy != Group.JoinPolicy.OPEN:
        return False
    if action is Action.REQUEST_TO_JOIN and group.join_policy != Group.JoinPolicy.REQUEST:
        return False
    return True


def can_site(user, action: Action) -> bool:
    if action not in SITE_POLICY:
        raise ValueError(f"{action} is not a site-wide action")
    return bool(site_roles(user) & SITE_POLICY[action])


#: The site roles: whoever holds one looks after all of Village, not only their own groups.
SITE_ROLES = frozenset({R.MODERATOR, R.STAFF})


def is_site_moderator(user) -> bool:
    """Does `user` hold a site role (moderator or staff)? The one place that asks; pages,
    services and notifications that treat "moderators and staff" alike ask here."""
    return bool(site_roles(user) & SITE_ROLES)


def site_moderators():
    """Active accounts holding a site role (a queryset of users): who `is_site_moderator`."""
    from django.db.models import Q

    holds = Q(pk__in=[])
    for role in SITE_ROLES:
        holds |= Q(**{_SITE_ROLE_FLAGS[role]: True})
    return get_user_model().objects.filter(holds, is_active=True)


_LOOKUP: Any = object()  # "fetch the caller's membership yourself"


def may_moderate(user, kind: str, group: Group, membership: Any = _LOOKUP) -> bool:
    """May `user` take the decision `kind` on a queue item in `group`? Pass `membership` (or
    None) when the caller already fetched it, to save a query per item."""
    if kind in CASE_SITE_POLICY:
        return can_site(user, CASE_SITE_POLICY[kind])
    if kind not in CASE_GROUP_POLICY:
        return False
    if membership is _LOOKUP:
        membership = membership_for(user, group)
    return can(user, CASE_GROUP_POLICY[kind], group, membership)


def may_view_case(user, group: Group, membership: Any = _LOOKUP) -> bool:
    """May `user` look at a queue item in `group`? Site moderators see every group's."""
    if can_site(user, Action.VIEW_SITE_QUEUE):
        return True
    if membership is _LOOKUP:
        membership = membership_for(user, group)
    return can(user, Action.VIEW_GROUP_QUEUE, group, membership)


def queue_scope(user) -> tuple[bool, list[int]]:
    """Whose moderation queue items `user` may see: (every group's, the ids of the groups
    they facilitate). Queue pages and the live queue scope their reads by this."""
    site = can_site(user, Action.VIEW_SITE_QUEUE)
    if user is None or not user.is_authenticated:
        return site, []
    facilitated = Membership.objects.facilitators().filter(user=user)
    return site, list(facilitated.values_list("group_id", flat=True))


def may_see_queue(user) -> bool:
    """May `user` open the moderation queue at all? Site moderators, and facilitators of any
    group (who see their own groups' items)."""
    site, groups = queue_scope(user)
    return site or bool(groups)


def _silenced(user, membership: Membership | None) -> bool:
    now = timezone.now()
    if getattr(user, "is_suspended", None) and user.is_suspended(now):
        return True
    return bool(membership and membership.is_muted(now))


def membership_for(user, group: Group) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, group=group).first()


@dataclass(frozen=True)
class GroupAccess:
    group: Group
    membership: Membership | None
    roles: frozenset[Role]

    def can(self, user, action: Action) -> bool:
        return can(user, action, self.group, self.membership)


def access_group(
    user,
    *,
    slug: str | None = None,
    group_id: int | None = None,
    action: Action = Action.VIEW_GROUP,
) -> GroupAccess:
    """Fetch a group the caller may see and act on.

    Raises Http404 when the group does not exist or the caller may not see it (the same error,
    so unlisted groups never leak), and PermissionDenied when they may see it but not act.
    """
    lookup: dict[str, object] = {"slug": slug} if slug is not None else {"pk": group_id}
    membership = None
    if user is not None and user.is_authenticated:
        # A member's row brings the group with it: one query instead of two.
        membership = (
            Membership.objects.select_related("group")
            .filter(user=user, **{f"group__{k}": v for k, v in lookup.items()})
            .first()
        )
    if membership is not None:
        group = membership.group
    else:
        group = Group.objects.filter(**lookup).first()
        if group is None:
            raise Http404("No such group.")
    return _grant(user, group, membership, action)


def _grant(user, group: Group, membership: Membership | None, action: Action) -> GroupAccess:
    roles = group_roles(user, group, membership)
    if not can_see_group(roles, group):
        raise Http404("No such group.")
    if not can(user, action, group, membership):
        raise PermissionDenied(action.value)
    return GroupAccess(group=group, membership=membership, roles=roles)


@dataclass(frozen=True)
class CheckInAccess:
    """A caller's access to one private check-in (a chat Room with a `member`)."""

    group: Group
    room: Any
    membership: Membership | None
    roles: frozenset[Role]

    def can(self, user, action: Action) -> bool:
        return _checkin_allows(user, self.roles, action)


def checkin_roles(user, room, membership: Membership | None) -> frozenset[Role]:
    roles = set(group_roles(user, room.group, membership))
    if R.MEMBER in roles and room.member_id == getattr(user, "pk", None):
        roles.add(R.CHECKIN_MEMBER)
    return frozenset(roles)


def _checkin_allows(user, roles: frozenset[Role], action: Action) -> bool:
    if action not in CHECKIN_POLICY or not roles & CHECKIN_POLICY[action]:
        return False
    if action in CHECKIN_SILENCED and getattr(user, "is_suspended", None):
        return not user.is_suspended(timezone.now())
    return True


def access_checkin(user, room, action: Action = Action.READ_CHAT) -> CheckInAccess:
    """The caller's access to the check-in `room` (None: there is no such check-in).

    Http404 for anyone who may not read it (also when it does not exist: its existence never
    leaks to another member), PermissionDenied when they may read it but not do `action`."""
    if room is None or room.member_id is None:
        raise Http404("No such check-in.")
    membership = membership_for(user, room.group)
    return _grant_checkin(user, room, membership, action)


def _grant_checkin(user, room, membership: Membership | None, action: Action) -> CheckInAccess:
    roles = checkin_roles(user, room, membership)
    if not roles & CHECKIN_POLICY[Action.READ_CHAT]:
        raise Http404("No such check-in.")
    if not _checkin_allows(user, roles, action):
        raise PermissionDenied(action.value)
    return CheckInAccess(group=room.group, room=room, membership=membership, roles=roles)


def access_checkin_by_user_id(user_id: int, room, action: Action) -> tuple[Any, CheckInAccess]:
    """`access_checkin` for a user known only by id (an open websocket re-checking itself)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AccountClosed("inactive")
    membership = Membership.objects.filter(user_id=user_id, group_id=room.group_id).first()
    return user, _grant_checkin(user, room, membership, action)


def access_room(user, room, action: Action):
    """Access to a chat room: a group's room through `access_group`, a private check-in
    through `access_checkin` (a message's room decides which rules apply to it)."""
    if room.member_id is not None:
        return access_checkin(user, room, action)
    return access_group(user, group_id=room.group_id, action=action)


def refusal_reason(user, access: GroupAccess | CheckInAccess, action: Action) -> str:
    """Why `access.can(user, action)` said no, so the member can be told in plain words:
    "muted" (in this group), "suspended" (anywhere), or "role" (their role here never allows
    it). Ask only after `can` refused; a muted or suspended member whose role would not allow
    the action anyway is told about the role."""
    checkin = isinstance(access, CheckInAccess)
    policy = CHECKIN_POLICY if checkin else GROUP_POLICY
    silencing = CHECKIN_SILENCED if checkin else SILENCED_ACTIONS
    if action not in silencing or not access.roles & policy.get(action, frozenset()):
        return "role"
    now = timezone.now()
    membership = access.membership
    # A muted member may still talk to the facilitators in their check-in.
    if not checkin and membership is not None and membership.is_muted(now):
        return "muted"
    if getattr(user, "is_suspended", None) and user.is_suspended(now):
        return "suspended"
    return "role"


@dataclass(frozen=True)
class MessageAccess:
    """A chat message the caller may take an action on, with their access to its room."""

    message: Any
    access: GroupAccess | CheckInAccess

    @property
    def group(self) -> Group:
        return self.access.group

    @property
    def membership(self) -> Membership | None:
        return self.access.membership


def access_message(user, message_id: Any, action: Action) -> MessageAccess:
    """Fetch a chat message (with its room, group and author) for the caller to take `action`
    on. Its room decides the rules: a group room's through `access_group`, a private
    check-in's through `access_checkin`. Http404 when there is no such message or the caller
    may not see where it is (the same answer); PermissionDenied when they may see it but not
    take `action`."""
    from .hooks import load_message  # chat sits above groups: it registers the loader

    message = load_message(message_id)
    if message is None:
        raise Http404("No such message.")
    return MessageAccess(message=message, access=access_room(user, message.room, action))


def may_start_checkin(user, group: Group, membership: Membership | None, target) -> bool:
    """May `user` open a private check-in with `target` (a user) in `group`? With themself
    it is a member asking the facilitators; with anyone else, a facilitator, moderator or
    staff reaching out, and only to someone who is a member of the group now."""
    if target is None:
        return False
    if target.pk == getattr(user, "pk", None):
        return can(user, Action.ASK_FACILITATORS, group, membership)
    if not can(user, Action.START_CHECKIN, group, membership):
        return False
    theirs = membership_for(target, group)
    return bool(target.is_active and theirs and theirs.status == Membership.Status.ACTIVE)


# --- the services directory (directory/) -----------------------------------------------------


def may_use_directory(user) -> bool:
    """The directory is for people with an account (signed in and active)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def directory_scope(user) -> tuple[bool, list[int]]:
    """Whose local entries `user` may see beyond those shared with everyone: (every group's,
    the ids of the groups they are an active member of). Directory reads scope by this."""
    if not may_use_directory(user):
        return False, []
    site = is_site_moderator(user)
    groups = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
    return site, list(groups.values_list("group_id", flat=True))


def may_see_local_entry(user, *, group_id: int | None, shared: bool) -> bool:
    if not may_use_directory(user):
        return False
    if shared or group_id is None or is_site_moderator(user):
        return True
    membership = Membership.objects.filter(user=user, group_id=group_id).first()
    return bool(membership and membership.status == Membership.Status.ACTIVE)


def may_ask_referral(user) -> bool:
    """A member may ask for a referral for themself (not while suspended)."""
    if not may_use_directory(user):
        return False
    return not (getattr(user, "is_suspended", None) and user.is_suspended(timezone.now()))


def referral_roles(user, *, member_id: int, facilitator_id: int | None) -> frozenset[Role]:
    roles = set(site_roles(user))
    if R.ANONYMOUS in roles or not user.is_active:
        return frozenset()
    if user.pk == member_id:
        roles.add(R.REFERRAL_MEMBER)
    if facilitator_id is not None and user.pk == facilitator_id:
        roles.add(R.REFERRAL_FACILITATOR)
    return frozenset(roles)


def referral_allows(
    user, action: Action, *, member_id: int, facilitator_id: int | None
) -> bool:
    if action not in REFERRAL_POLICY:
        raise ValueError(f"{action} is not a referral action")
    roles = referral_roles(user, member_id=member_id, facilitator_id=facilitator_id)
    return bool(roles & REFERRAL_POLICY[action])


def check_referral(user, referral, action: Action) -> None:
    """Http404 for anyone who may not see `referral` (its existence never leaks), and
    PermissionDenied when they may see it but not take `action`. The directory's
    `access_referral` fetches the row and asks here."""
    ids = {"member_id": referral.member_id, "facilitator_id": referral.facilitator_id}
    if not referral_allows(user, Action.VIEW_REFERRAL, **ids):
        raise Http404("No such referral.")
    if not referral_allows(user, action, **ids):
        raise PermissionDenied(action.value)


class AccountClosed(PermissionDenied):
    """The account is closed (deleted or banned site-wide): no decision about it is a yes."""


def access_group_by_user_id(user_id: int, group_id: int, action: Action) -> tuple[Any, GroupAccess]:
    """`access_group` for a user known only by id (an open websocket re-checking itself): the
    active user and their access, or Http404 / PermissionDenied (also for an account closed
    since). For a member the user, the group and the membership come in one query."""
    membership = (
        Membership.objects.select_related("user", "group")
        .filter(user_id=user_id, group_id=group_id, user__is_active=True)
        .first()
    )
    if membership is not None:
        return membership.user, _grant(membership.user, membership.group, membership, action)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AccountClosed("inactive")
    return user, access_group(user, group_id=group_id, action=action)


def require_site(user, action: Action) -> None:
    if not can_site(user, action):
        raise PermissionDenied(action.value)


#: The account flag behind each site role, to ask the database who holds a site action.
_SITE_ROLE_FLAGS = {R.MODERATOR: "is_moderator", R.STAFF: "is_staff"}


def holders_of_site_action(action: Action):
    """Active accounts that may take the site-wide `action` (a queryset of users), read from
    SITE_POLICY: e.g. everyone who could decide an appeal."""
    from django.db.models import Q

    if action not in SITE_POLICY:
        raise ValueError(f"{action} is not a site-wide action")
    holds = Q(pk__in=[])
    for role in SITE_POLICY[action]:
        if role in _SITE_ROLE_FLAGS:
            holds |= Q(**{_SITE_ROLE_FLAGS[role]: True})
    return get_user_model().objects.filter(holds, is_active=True)


def can_decide_appeal(user, *, decided_by_id: int | None, appellant_id: int | None) -> bool:
    """May `user` decide an appeal? Whoever holds DECIDE_APPEAL, except the person who made
    the decision appealed against and the appellant themselves."""
    if not can_site(user, Action.DECIDE_APPEAL):
        return False
    return user.pk not in (decided_by_id, appellant_id)


# --- change stamps: when a kept decision may be reused -------------------------------------------
#
# Every decision above depends only on the user's row, the group's row and the user's
# membership row (and the clock, which `can` reads afresh). Each user and each group has a
# stamp in the shared cache: a random token, replaced after every committed change to one of
# those rows (model signals, wired in groups/apps.py, and `access_changed` called by code that
# changes them with a bulk `.update()`). A caller that keeps a decision (an open websocket) reads
# the stamps *before* deciding and may reuse the decision while both still read the same: then
# nothing it depended on has changed since, even if the message that should have told it was
# lost. A stamp that cannot be read means "decide afresh".

STAMP_SECONDS = 24 * 3600  # an expired stamp reads as changed (None), never as unchanged


def _user_stamp(user_id: int) -> str:
    return f"perm:u:{user_id}"


def _group_stamp(group_id: int) -> str:
    return f"perm:g:{group_id}"


def access_stamps(user_id: int, group_id: int) -> tuple[Any, Any] | None:
    """The user's and the group's stamps now, or None if the shared cache cannot be read."""
    ku, kg = _user_stamp(user_id), _group_stamp(group_id)
    cache = shared_cache()
    if cache_degraded():
        # Redis is away: the per-process copy cannot see another process's changes.
        return None
    try:
        redis = shared_redis()
        if redis is not None:  # one MGET; the values are compared as stored
            su, sg = redis.mget([cache.make_and_validate_key(ku), cache.make_and_validate_key(kg)])
            return su, sg
        got = cache.get_many([ku, kg])
    except Exception as exc:
        cache_failed(exc)
        return None
    if cache_degraded():  # that read fell back to the per-process copy
        return None
    return got.get(ku), got.get(kg)


def access_changed(*, user_id: int | None = None, group_id: int | None = None) -> None:
    """Something a decision about this user (in any group) or this group depends on changed:
    give it a new stamp once the change commits (at once outside a transaction)."""
    keys = []
    if user_id is not None:
        keys.append(_user_stamp(user_id))
    if group_id is not None:
        keys.append(_group_stamp(group_id))
    if not keys:
        return

    def bump() -> None:
        # While Redis is away the cache remembers these keys and deletes them from Redis
        # when it answers again (config/cache.py): a stamp read before the outage then no
        # longer matches, and the socket decides afresh.
        shared_cache().set_many({k: secrets.token_hex(8) for k in keys}, STAMP_SECONDS)

    transaction.on_commit(bump)


def _membership_saved(sender, instance, **kwargs) -> None:
    if instance.user_id is not None:
        access_changed(user_id=instance.user_id)


def _user_saved(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        access_changed(user_id=instance.pk)


def _group_saved(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        access_changed(group_id=instance.pk)


def connect_stamp_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    for model, handler in (
        (Membership, _membership_saved),
        (get_user_model(), _user_saved),
        (Group, _group_saved),
    ):
        uid = f"access-stamp-{model._meta.label_lower}"
        post_save.connect(handler, sender=model, dispatch_uid=uid)
        post_delete.connect(handler, sender=model, dispatch_uid=uid + "-del")

"""What a member asks of a room: send, edit, delete, react, pin and slow mode, each checked
and done in one place.

Both ways of asking call `run`: the websocket (`protocol._handle`, after its session and
freshness checks, turning the result into an `ack` and a `ChatError` into an `error` frame) and
the no-JavaScript forms (`views.room_page`, turning the result into a redirect and the error
into the page's message). So a refusal has one code and one wording, whichever way it came.

Permission is asked of `access.can` (groups.permissions is the one gate; `access` is a
`GroupAccess` or a `CheckInAccess`); the services enforce the rules that belong to the data
(own message, same room, limits, screening) and raise `ChatError` too.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services as account_services
from core import privatedetails
from groups.permissions import Action, refusal_reason

from . import services
from .models import Message, Room
from .services import ChatError

#: What each command needs `access.can` to allow. Deleting needs nothing more than reading
#: the room: the service lets a member delete only their own messages, muted or not.
NEEDS: dict[str, Action | None] = {
    "send": Action.POST_MESSAGE,
    "edit": Action.POST_MESSAGE,
    "delete": None,
    "react": Action.REACT,
    "pin": Action.PIN_MESSAGE,
    "slow_mode": Action.SET_SLOW_MODE,
}
COMMANDS = frozenset(NEEDS)

#: What a member is told when their role never allows the action here (not muted, not
#: suspended): one wording per action, on the page and over the socket alike.
_NOT_YOURS = {
    Action.POST_MESSAGE: gettext_lazy("Sorry, you can't post in this group right now."),
    Action.REACT: gettext_lazy("Sorry, you can't react to messages in this group right now."),
    Action.PIN_MESSAGE: gettext_lazy("Only facilitators can pin messages."),
    Action.SET_SLOW_MODE: gettext_lazy("Only facilitators can change slow mode."),
}
_NOT_IN_CHECKINS = gettext_lazy("Pinning and slow mode aren't used in private check-ins.")


@dataclass(frozen=True)
class Result:
    """What a command did: `message_id` is the message it was about, `message` that message
    when the service returned it (for `send`, the stored one, also on a resend of the same
    client id); `crisis` says screening saw a crisis phrase (the page then opens the support
    panel)."""

    type: str
    message: Message | None = None
    message_id: int | None = None
    crisis: bool = False

    @property
    def held(self) -> bool:
        return self.message is not None and self.message.state == Message.State.HELD


def run(
    user, access, room: Room, command: dict[str, Any], *, card: dict[str, Any] | None = None
) -> Result:
    """Do `command` (a dict with a `type` from COMMANDS and that type's fields, as in
    docs/chat-protocol.md) in `room` for `user`. Raises ChatError, with a code and a kind
    message, for anything refused; nothing is stored then. `card` (a send only) is a
    directory service shared as a card: the server's share page gives it, never a frame."""
    kind = command.get("type")
    if kind not in COMMANDS:
        raise ChatError("unknown_type", _("Sorry, we didn't understand that."))
    action = NEEDS[kind]
    if action is not None:
        require(user, access, room, action)
    if kind == "send":
        return _send(user, access, room, command, card=card)
    return _RUN[kind](user, access, room, command)


def require(user, access, room: Room, action: Action) -> None:
    """Raise the member's refusal (ChatError) unless `access` allows `action`."""
    if not access.can(user, action):
        raise refusal(user, access, room, action)


def refusal(user, access, room: Room, action: Action) -> ChatError:
    """The one ChatError for `action` refused to `user` here."""
    reason = refusal_reason(user, access, action)
    if reason == "muted":
        when = _member_time(user, access.membership.muted_until)
        return ChatError("muted", _("You can post again after %(when)s.") % {"when": when})
    if reason == "suspended":
        return ChatError("suspended", _("Your account is paused for now, so you can't post."))
    if room.is_checkin and action in (Action.PIN_MESSAGE, Action.SET_SLOW_MODE):
        return ChatError("forbidden", str(_NOT_IN_CHECKINS))
    return ChatError("forbidden", str(_NOT_YOURS.get(action, _("Sorry, you can't do that here."))))


def _member_time(user, when) -> str:
    """`when` on the member's own clock (a socket has no active time zone of theirs)."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone) if user.time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    return formats.date_format(timezone.localtime(when, zone), "DATETIME_FORMAT")


def _is_facilitator(access) -> bool:
    return bool(access.membership and access.membership.is_facilitator)


class PrivateDetails(ChatError):
    """Not sent yet: the message includes personal details (`kinds`, never the details), and
    only its author is asked "Send anyway?" (docs/chat-protocol.md, `confirm_private`). Sending
    the same command again with `confirmed` true sends it."""

    def __init__(self, kinds: tuple[str, ...], audience: str):
        super().__init__("confirm_private", privatedetails.question(kinds, audience))
        self.kinds = kinds
        self.audience = audience


def private_details_to_ask(user, access, room: Room, body: Any) -> tuple[str, ...]:
    """What to ask the author about before `body` goes to the room: nothing if the group has
    the check turned off or the member said not to ask about those kinds again."""
    if not isinstance(body, str):
        return ()
    return privatedetails.to_ask(
        body,
        skip=getattr(user, "private_details_skip", None) or (),
        enabled=access.group.private_details_check,
    )


def _send(
    user, access, room: Room, c: dict[str, Any], card: dict[str, Any] | None = None
) -> Result:
    if c.get("confirmed") is not True:
        kinds = private_details_to_ask(user, access, room, c.get("body"))
        if kinds:
            raise PrivateDetails(kinds, "checkin" if room.is_checkin else "group")
    elif c.get("dont_ask"):
        # "Don't ask me again for phone numbers": only the kinds are kept, never the text.
        dont_ask = c["dont_ask"] if isinstance(c["dont_ask"], list) else []
        account_services.private_details_skip_add(user=user, kinds=dont_ask)
    sent = services.message_send(
        user=user,
        room=room,
        body=c.get("body"),
        client_id=c.get("client_id"),
        reply_to_id=c.get("reply_to"),
        is_facilitator=_is_facilitator(access),
        card=card,
    )
    return Result("send", sent.message, sent.message.pk, crisis=sent.crisis)


def _edit(user, access, room: Room, c: dict[str, Any]) -> Result:
    message = services.message_edit(
        user=user, room=room, message_id=c.get("message_id"), body=c.get("body")
    )
    return Result("edit", message, message.pk)


def _delete(user, access, room: Room, c: dict[str, Any]) -> Result:
    message = services.message_delete(user=user, room=room, message_id=c.get("message_id"))
    return Result("delete", message, message.pk)


def _react(user, access, room: Room, c: dict[str, Any]) -> Result:
    mid: Any = c.get("message_id")
    services.reaction_toggle(user=user, room=room, message_id=mid, emoji=c.get("emoji"))
    return Result("react", message_id=int(mid))  # the service found it, so it is a number


def _pin(user, access, room: Room, c: dict[str, Any]) -> Result:
    message = services.message_pin(
        user=user, room=room, message_id=c.get("message_id"), pinned=c.get("pinned", True)
    )
    return Result("pin", message, message.pk)


def _slow_mode(user, access, room: Room, c: dict[str, Any]) -> Result:
    services.room_set_slow_mode(user=user, room=room, seconds=c.get("seconds"))
    return Result("slow_mode")


_RUN: dict[str, Callable[..., Result]] = {
    "send": _send,
    "edit": _edit,
    "delete": _delete,
    "react": _react,
    "pin": _pin,
    "slow_mode": _slow_mode,
}

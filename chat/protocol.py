"""The chat websocket protocol: parse and validate client frames, check the socket's session
and permission, hand commands (send, edit, delete, react, pin, slow mode) to `chat.commands`
(the no-JS forms' dispatcher too), and answer with frames. Nothing a client sends raises out
of here: every problem becomes an `error` frame with a code and a kind, human message.

Every frame type is documented in docs/chat-protocol.md.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.security import Refusal, session_refusal, socket_refusal
from config import outage, socketlimits
from core import privatedetails
from groups.permissions import (
    AccountClosed,
    Action,
    access_checkin,
    access_checkin_by_user_id,
    access_group,
    access_group_by_user_id,
    access_stamps,
)

from . import commands, selectors, services
from .services import ChatError

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_RETRY = 1013  # "try again later": the client reconnects with backoff
CLOSE_RETRY_APP = 4013  # the same where the server refuses 1013 (daphne: only 1000, 3000-4999)

CLIENT_TYPES = {
    "hello",
    "send",
    "edit",
    "delete",
    "react",
    "pin",
    "slow_mode",
    "typing",
    "read",
    "ping",
}


class SessionEnded(Exception):
    """The socket's log-in no longer stands (or two-step log-in is now required): close 4401."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, client_id: Any = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.client_id = client_id


def error_frame(code: str, message: str, client_id: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": str(message)}
    if isinstance(client_id, str) and len(client_id) <= 64:
        frame["client_id"] = client_id
    return frame


#: The database could not be reached (a restart, a failover): the client tries again later.
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE = "PostgreSQL"


def unavailable_frame(client_id: Any = None) -> dict[str, Any]:
    return error_frame(
        "unavailable",
        _("We couldn't save that just now. It's kept here and we'll send it again."),
        client_id,
    )


def rate_limited_frame(retry_after: int, client_id: Any = None) -> dict[str, Any]:
    frame = error_frame(
        "rate_limited",
        ngettext(
            "That's a lot at once. Please wait %(n)s second and try again.",
            "That's a lot at once. Please wait %(n)s seconds and try again.",
            retry_after,
        ) % {"n": retry_after},
        client_id,
    )
    frame["retry_after"] = retry_after
    return frame


def confirm_private_frame(e, client_id: str | None) -> dict[str, Any]:
    """"This message includes a phone number. ... Send anyway?": the reply to a `send` whose
    body has personal details in it, unless it carried `confirmed: true`."""
    return {
        "type": "confirm_private",
        "client_id": client_id,
        "kinds": list(e.kinds),
        "message": e.text,
        "dont_ask": [
            {"kind": k, "label": _("Don't ask me again about %(what)s") % {
                "what": privatedetails.PLURAL_NAMES[k]}}
            for k in e.kinds
        ],
    }


def parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """Turn one websocket message into a validated frame dict, or raise ProtocolError."""
    if bytes_data is not None or text_data is None:
        raise ProtocolError("binary", _("Sorry, we only understand text messages here."))
    if len(text_data.encode("utf-8", "surrogatepass")) > settings.VILLAGE["CHAT_MAX_FRAME_BYTES"]:
        raise ProtocolError("too_big", _("That was too much to send at once."))
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", _("Sorry, we couldn't read that message.")) from None
    if not isinstance(frame, dict):
        raise ProtocolError("bad_frame", _("Sorry, we couldn't read that message."))
    if not _utf8(frame):
        # JSON may spell lone surrogates ("\\ud800"): no database, log or socket can take them.
        cid = frame.get("client_id")
        raise ProtocolError(
            "bad_text",
            _("Sorry, part of that message used characters we can't read. Please try again."),
            cid if isinstance(cid, str) and _utf8(cid) else None,
        )
    ftype = frame.get("type")
    cid = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
    if not isinstance(ftype, str) or ftype not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", _("Sorry, we don't know that kind of message."), cid)
    _validate(ftype, frame, cid)
    return frame


def _utf8(value: Any, depth: int = 0) -> bool:
    """Can every string in `value` (keys too) be encoded as UTF-8?"""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if depth > 64:  # json.loads already refused anything much deeper
        return False
    if isinstance(value, dict):
        return all(_utf8(k, depth + 1) and _utf8(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_utf8(v, depth + 1) for v in value)
    return True


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -(2**62) < v < 2**62


def _validate(ftype: str, f: dict[str, Any], cid: Any) -> None:
    bad = ProtocolError("bad_frame", _("Sorry, part of that message was missing or wrong."), cid)
    if ftype == "hello":
        if not _is_int(f.get("last_seq", 0)):
            raise bad
    elif ftype == "send":
        if not isinstance(f.get("client_id"), str) or not isinstance(f.get("body"), str):
            raise bad
        if f.get("reply_to") is not None and not _is_int(f.get("reply_to")):
            raise bad
        if not isinstance(f.get("confirmed", False), bool):
            raise bad
        dont_ask = f.get("dont_ask", [])
        if not isinstance(dont_ask, list) or len(dont_ask) > 16:
            raise bad
    elif ftype in ("edit", "delete", "react", "pin"):
        if not _is_int(f.get("message_id")):
            raise bad
        if ftype == "edit" and not isinstance(f.get("body"), str):
            raise bad
        if ftype == "react" and not isinstance(f.get("emoji"), str):
            raise bad
        if ftype == "pin" and not isinstance(f.get("pinned", True), bool):
            raise bad
    elif ftype == "slow_mode":
        if not _is_int(f.get("seconds")):
            raise bad
    elif ftype == "read" and not _is_int(f.get("seq")):
        raise bad


# --- connection ---------------------------------------------------------------------------------


@dataclass
class Session:
    """What a consumer knows about its socket; its permission check is reused briefly."""

    user_id: int
    name: str
    group_id: int
    room_id: int
    #: A private check-in (a Room with a member) rather than the group's room: its permission
    #: check is `access_checkin`'s, everything else is the same.
    checkin: bool = False
    #: The log-in this socket was opened with: every full check asks whether it still stands.
    session_key: str | None = field(default=None, repr=False)
    # The last permission check (and the room row read with it) and the access stamps read
    # just before it. A kick or mute over the user's group, or a room.updated event, clears
    # it at once; see `_fresh` for when it is reused.
    user: Any = field(default=None, repr=False, compare=False)
    access: Any = field(default=None, repr=False, compare=False)
    room: Any = field(default=None, repr=False, compare=False)
    checked_at: float = field(default=0.0, repr=False, compare=False)
    stamps: Any = field(default=None, repr=False, compare=False)
    #: When a frame last used the check (the periodic re-check is not a use).
    used_at: float = field(default=0.0, repr=False, compare=False)

    def forget_access(self) -> None:
        self.checked_at = 0.0
        self.stamps = None

    def release_if_stale(self, now: float) -> None:
        """Drop the check's objects once no frame has used it for a while (an idle socket then
        holds no model instances); the next frame checks afresh."""
        if self.user is not None and now - self.used_at >= RELEASE_UNUSED_SECONDS:
            self.user = self.access = self.room = self.stamps = None
            self.checked_at = 0.0


#: `_fresh`'s `max_age` for reuse without reading the stamps. No frame uses it any more: every
#: frame reads the stamps (`_handle` passes 0), so a session ended elsewhere is refused at the
#: next frame. Kept for the mechanism's tests (tests/chat/test_permission_reuse.py).
PERMISSION_CACHE_SECONDS = 5.0
#: How long a check may be reused at all while the access stamps (groups.permissions) read as
#: they did just before it, i.e. nothing it depended on has committed a change since. Longer
#: than the periodic re-check (CHAT_RECHECK_SECONDS, which renews every socket's check), so in
#: a steady room no frame pays for a full check; it only bounds a late re-check.
STAMPED_REUSE_SECONDS = 90.0
#: An idle socket lets go of its check's objects after this long without a frame.
RELEASE_UNUSED_SECONDS = 30.0
#: Frames that write nothing anyone else sees (the consumer runs them on the read pool).
CACHED_FRAMES = {"hello", "read", "typing", "ping"}


#: Group ids by slug, learnt from this process's connects: a connect reads the access stamps
#: before its check only for a slug it has seen (and drops them if the slug now names another
#: group).
_group_ids: dict[str, int] = {}


def connect(
    user, slug: str, session_key: str | None = None, checkin_id: int | None = None
) -> Session | int:
    """Check a new socket: a Session, or the close code to refuse it with. `checkin_id` opens
    a private check-in's room instead of the group `slug`'s."""
    if user is None or not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    if checkin_id is not None:
        return _connect_checkin(user, checkin_id, session_key)
    known = _group_ids.get(slug)
    stamps = access_stamps(user.pk, known) if known is not None else None
    try:
        access = access_group(user, slug=slug, action=Action.READ_CHAT)
    except (Http404, PermissionDenied):
        return CLOSE_FORBIDDEN
    now = time.monotonic()
    group_id = access.group.pk
    if group_id != known:
        stamps = None
        _group_ids[slug] = group_id
    room = room_of(group_id, now)
    return Session(
        user_id=user.pk,
        name=user.public_name,
        group_id=group_id,
        room_id=room.pk,
        session_key=session_key,
        user=user,
        access=access,
        room=room,
        checked_at=now,
        stamps=stamps,
        used_at=now,
    )


def _connect_checkin(user, room_id: int, session_key: str | None) -> Session | int:
    room = services.checkin_room(room_id)
    stamps = access_stamps(user.pk, room.group_id) if room is not None else None
    try:
        access = access_checkin(user, room, Action.READ_CHAT)
    except (Http404, PermissionDenied):
        return CLOSE_FORBIDDEN
    assert room is not None  # access_checkin refuses a missing check-in
    now = time.monotonic()
    return Session(
        user_id=user.pk,
        name=user.public_name,
        group_id=room.group_id,
        room_id=room.pk,
        checkin=True,
        session_key=session_key,
        user=user,
        access=access,
        room=room,
        checked_at=now,
        stamps=stamps,
        used_at=now,
    )


def _check(session: Session, now: float) -> tuple[Any, Any, Any]:
    """The full permission check behind `_fresh`: the user, their access, and the room."""
    if session.checkin:
        room = services.checkin_room(session.room_id)
        if room is None:  # deleted with the member's account
            raise Http404("No such check-in.")
        user, checkin_access = access_checkin_by_user_id(session.user_id, room, Action.READ_CHAT)
        return user, checkin_access, room
    user, access = access_group_by_user_id(session.user_id, session.group_id, Action.READ_CHAT)
    return user, access, room_of(session.group_id, now)


def _fresh(session: Session, max_age: float | None = None):
    """The user and their access now, or the socket's last check, reused:

    - as it is, if it is less than `max_age` seconds old (frames pass 0: never);
    - else, if `max_age` is not None, when the access stamps still read as they did just before
      the check (one shared-cache read instead of a database query) and it is less than
      STAMPED_REUSE_SECONDS old. Any change committed through the app since (a model save, a
      moderation action) has renewed a stamp, so it is seen at once.

    `max_age=None` always checks afresh (the periodic re-check). A kick, mute or room update
    over the channel layer also clears the check (`Session.forget_access`). A change that
    renewed no stamp (raw SQL) is caught by the periodic re-check.
    """
    now = time.monotonic()
    user, access, room, at = session.user, session.access, session.room, session.checked_at
    stamps = None
    if max_age is not None:
        session.used_at = now
        if None not in (user, access, room):
            age = now - at
            if age < max_age:
                return user, access, room
            if age < STAMPED_REUSE_SECONDS and session.stamps is not None:
                stamps = access_stamps(session.user_id, session.group_id)
                if stamps is not None and stamps == session.stamps:
                    return user, access, room
    session.checked_at = 0.0
    session.stamps = None
    if stamps is None:
        stamps = access_stamps(session.user_id, session.group_id)
    # The stamps were read before the check: a change committed after this point renews them,
    # so the next frame sees it.
    try:
        user, access, room = _check(session, now)
    except AccountClosed:  # its log-ins ended with it
        raise SessionEnded(session_refusal()) from None
    refusal = socket_refusal(user, session.session_key)
    if refusal is not None:
        raise SessionEnded(refusal)
    session.user, session.access, session.room, session.checked_at = user, access, room, now
    session.stamps = stamps
    return user, access, room


#: This process's Room rows by group id, with when they were read: every socket of a room
#: shares one. A `room.updated` event (slow mode) drops it at once (`forget_room`).
_rooms: dict[int, tuple[Any, float]] = {}
ROOM_CACHE_SECONDS = 30.0


def room_of(group_id: int, now: float | None = None):
    now = time.monotonic() if now is None else now
    hit = _rooms.get(group_id)
    if hit is not None and now - hit[1] < ROOM_CACHE_SECONDS:
        return hit[0]
    room = services.room_for_group(group_id)
    _rooms[group_id] = (room, now)
    return room


def forget_room(group_id: int | None = None) -> None:
    if group_id is None:
        _rooms.clear()
        _group_ids.clear()
    else:
        _rooms.pop(group_id, None)


def still_allowed(session: Session) -> bool:
    return recheck(session) is None


def recheck(session: Session) -> int | None:
    """Check the socket afresh: None if it may stay, else the code to close it with."""
    try:
        _fresh(session)
    except SessionEnded:
        return CLOSE_UNAUTHENTICATED
    except (Http404, PermissionDenied):
        return CLOSE_FORBIDDEN
    return None


def room_head_id(room_id: int) -> int:
    return selectors.room_head(room_id=room_id)


# --- frames -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    #: Set by hello: the seq the client is now at (the consumer drops live events up to it).
    resumed_head: int | None = None


def handle(session: Session, frame: dict[str, Any]) -> Outcome:
    """Do what a validated frame asks. Never raises."""
    cid = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
    retry_after = socketlimits.hit(frame["type"], session.user_id)
    if retry_after is not None:
        return Outcome([rate_limited_frame(retry_after, cid)])
    try:
        return _handle(session, frame)
    except ProtocolError as e:
        return Outcome([error_frame(e.code, e.message, e.client_id)])
    except SessionEnded as e:
        return Outcome([e.refusal.frame()], close_code=CLOSE_UNAUTHENTICATED)
    except commands.PrivateDetails as e:  # only the author is asked; nothing was stored
        return Outcome([confirm_private_frame(e, cid)])
    except ChatError as e:
        out = error_frame(e.code or "invalid", e.text, cid)
        if e.retry_after is not None:
            out["retry_after"] = e.retry_after
        return Outcome([out])
    except (Http404, PermissionDenied):
        return Outcome(
            [error_frame("forbidden", _("You're no longer a member of this group."), cid)],
            close_code=CLOSE_FORBIDDEN,
        )
    except DATABASE_DOWN as exc:  # PostgreSQL is away: nothing was stored; send it again
        outage.down(DATABASE, exc)
        return Outcome([unavailable_frame(cid)])
    except Exception:
        log.exception("chat frame %s failed", frame.get("type"))
        return Outcome(
            [
                error_frame(
                    "server_error", _("Something went wrong on our side. Please try again."), cid
                )
            ]
        )


def _handle(session: Session, f: dict[str, Any]) -> Outcome:
    ftype = f["type"]
    user, access, room = _fresh(session, 0.0)
    if ftype in commands.COMMANDS:
        result = commands.run(user, access, room, f)
        if ftype != "send":
            return Outcome()
        m: Any = result.message  # a send always has its message
        ack = {"type": "ack", "client_id": f["client_id"], "message_id": m.pk, "seq": m.seq}
        if result.held:
            ack["held"] = True
        return Outcome([ack])
    if ftype == "hello":
        frames = selectors.resume_frames(
            room=room, viewer_id=user.pk, last_seq=int(f.get("last_seq", 0))
        )
        return Outcome(frames, resumed_head=frames[-1]["head"])
    if ftype == "read":
        services.room_mark_read(user=user, room=room, seq=f["seq"])
        return Outcome()
    if ftype == "typing":
        commands.require(user, access, room, Action.POST_MESSAGE)
        return Outcome()
    return Outcome([{"type": "pong"}])

"""Frames describing messages and room events, the same for live broadcasts and resume.

A frame is built from the message's *current* state, so replaying the log gives the same end
state as having watched it live. Bodies only ever go to viewers allowed to see them: a message
is shown to a viewer when it is visible, or when it is held and the viewer is its author.
Everyone else gets a `skip` frame for that sequence number (so their sequence has no hole).
A message hidden pending review stays in its place as a placeholder (id, seq, time and state
only: no body, author or reactions) so the conversation around it still makes sense; its
author still sees it, marked hidden. A message a moderator removed (or a held message they
rejected) is gone for everyone: `message.hidden` with just the id.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from groups.models import Membership

from .models import Message, Room, RoomEvent

SNIPPET_CHARS = 120

# Set by chat.selectors on the messages it loads (an EXISTS in the same query): is the author
# an active facilitator of the message's group? Computed here, once, when it is missing.
AUTHOR_FACILITATES = "author_facilitates"

T = RoomEvent.Type


def author_dict(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.public_name}


def author_badge(message: Message) -> dict[str, str] | None:
    """The role Village vouches for next to the author's name: site moderators, and the
    facilitators of the message's group. Names cannot claim these (accounts.names)."""
    author = message.author
    if author is None:
        return None
    if author.is_moderator:
        return {"role": "moderator", "label": _("Moderator")}
    facilitates = getattr(message, AUTHOR_FACILITATES, None)
    if facilitates is None:
        facilitates = (
            Membership.objects.facilitators()
            .filter(
                user_id=author.pk,
                group_id__in=Room.objects.filter(pk=message.room_id).values("group_id"),
            )
            .exists()
        )
        setattr(message, AUTHOR_FACILITATES, facilitates)
    if facilitates:
        return {"role": "facilitator", "label": _("Facilitator")}
    return None


def former_member() -> dict[str, Any]:
    return {"id": None, "name": _("Former member")}


def shows_body(message: Message) -> bool:
    return message.state == Message.State.VISIBLE and message.deleted_at is None


# States shown as a placeholder in place ("Hidden while a moderator looks at it").
PLACEHOLDER_STATES = (Message.State.HIDDEN,)


def visible_to(message: Message, viewer_id: int | None) -> bool:
    """Does this message exist at all for this viewer (in the room, not the mod queue)?
    Hidden ones do, as placeholders (see `message_view`); removed ones do not."""
    if message.state == Message.State.VISIBLE or message.state in PLACEHOLDER_STATES:
        return True
    return (
        message.state == Message.State.HELD
        and viewer_id is not None
        and message.author_id == viewer_id
    )


def reactions_dict(message: Message) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in sorted(message.reactions.all(), key=lambda r: r.pk):
        out.setdefault(r.emoji, []).append(r.user_id)
    return out


def reply_dict(message: Message) -> dict[str, Any] | None:
    target = message.reply_to
    if target is None:
        return None
    ok = shows_body(target)
    return {
        "id": target.pk,
        "snippet": target.body[:SNIPPET_CHARS] if ok else "",
        "author": (author_dict(target.author) or former_member()) if ok else None,
        # "hidden" lets the quote say why it is empty; "visible" otherwise (deleted, removed
        # and held quotes are simply "no longer here").
        "state": "hidden" if target.state in PLACEHOLDER_STATES else "visible",
    }


def message_dict(message: Message) -> dict[str, Any]:
    """The message as a viewer allowed to see it sees it (body empty once deleted)."""
    body_ok = message.deleted_at is None
    return {
        "id": message.pk,
        "seq": message.seq,
        "author": author_dict(message.author) or former_member(),
        "badge": author_badge(message),
        "body": message.body if body_ok else "",
        "card": message.card if body_ok else None,
        "reply_to": reply_dict(message),
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": message.deleted_at is not None,
        "state": message.state,
        "reactions": reactions_dict(message) if body_ok else {},
        "pinned": message.pinned_at is not None,
    }


def placeholder_dict(message: Message) -> dict[str, Any]:
    """A hidden message as everyone but its author sees it: where it was and why it is not
    shown; never its body, author or reactions."""
    return {
        "id": message.pk,
        "seq": message.seq,
        "author": None,
        "badge": None,
        "body": "",
        "card": None,
        "reply_to": None,
        "created_at": message.created_at.isoformat(),
        "edited": False,
        "deleted": False,
        "state": message.state,
        "reactions": {},
        "pinned": False,
    }


def message_view(message: Message, viewer_id: int | None) -> dict[str, Any]:
    """The message as this viewer sees it (call only when `visible_to` is true)."""
    if message.state in PLACEHOLDER_STATES:
        own = viewer_id is not None and message.author_id == viewer_id
        if own and message.deleted_at is None:
            return {**message_dict(message), "reactions": {}, "pinned": False}
        return placeholder_dict(message)
    return message_dict(message)


def event_frame(
    *, type: str, seq: int, message: Message | None, data: dict[str, Any], viewer_id: int | None
) -> dict[str, Any]:
    """The frame one viewer gets for one event, from the message's current state."""
    type = str(type)
    if type == T.ROOM_UPDATED or message is None:
        return {"type": type, "seq": seq, "room": data}
    if not visible_to(message, viewer_id):
        if type == T.MESSAGE_CREATED:
            return {"type": "skip", "seq": seq}
        # e.g. an edit that screening holds: whoever still shows the old text drops it.
        return {"type": T.MESSAGE_HIDDEN.value, "seq": seq, "message_id": message.pk}
    if type == T.REACTION_CHANGED:
        shown = message.state not in PLACEHOLDER_STATES and message.deleted_at is None
        return {
            "type": type,
            "seq": seq,
            "message_id": message.pk,
            "reactions": reactions_dict(message) if shown else {},
        }
    if type == T.MESSAGE_HIDDEN:
        # The placeholder (or, for its author, the message marked hidden) takes its place.
        return {
            "type": type,
            "seq": seq,
            "message_id": message.pk,
            "message": message_view(message, viewer_id),
        }
    return {"type": type, "seq": seq, "message": message_view(message, viewer_id)}


def event_frames_for_broadcast(
    *, type: str, seq: int, message: Message | None, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """(frame for everyone, {author id: private frame}) for a live broadcast."""
    public = event_frame(type=type, seq=seq, message=message, data=data, viewer_id=None)
    private: dict[int, dict[str, Any]] = {}
    # Only a message that is not plainly visible (held, hidden, removed) looks different to
    # its author.
    if (
        message is not None
        and message.author_id is not None
        and message.state != Message.State.VISIBLE
    ):
        mine = event_frame(
            type=type, seq=seq, message=message, data=data, viewer_id=message.author_id
        )
        if mine != public:
            private[message.author_id] = mine
    return public, private

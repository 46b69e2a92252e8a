"""The vocabulary of per-user events, grouped by topic.

A per-user event is a small dict with a `type` (never a message body or an email address).
It travels to `user.<id>` inside a channel-layer message that also names its *topic*:

    {"type": "user.event", "topic": "bell", "event": {"type": "notification.read"}}

so that each kind of socket can ignore what is not for it without looking inside: a chat
socket ignores the bell, and re-checks its permission only for topics that can change chat
access (ACCESS_TOPICS). docs/chat-protocol.md, "Channel-layer messages", lists them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

#: The channel-layer message type of every per-user event (consumers' `user_event` handler).
USER_EVENT: Final = "user.event"


class Topic(StrEnum):
    #: The member's place in a group changed: removed, banned, muted or unmuted (by a
    #: facilitator, a moderator, or themselves). Can change chat access.
    MEMBERSHIP = "membership"
    #: One of the member's log-ins ended. Can change access to every socket.
    SESSION = "session"
    #: Something for the member's open chat rooms only (a private support offer).
    CHAT = "chat"
    #: The notification bell: a new notification, or some were read.
    BELL = "bell"


class UserEvent:
    """Every per-user event type, as sent (plain strings, so they serialise as they are)."""

    MEMBERSHIP_REVOKED: Final = "membership.revoked"  # group_id
    MEMBERSHIP_MUTED: Final = "membership.muted"  # group_id, until (None: unmuted)
    SESSION_ENDED: Final = "session.ended"
    SUPPORT_OFFER: Final = "support.offer"  # group_id
    NOTIFICATION_CREATED: Final = "notification.created"  # title, url, urgent
    NOTIFICATION_READ: Final = "notification.read"


TOPICS: Final[dict[str, Topic]] = {
    UserEvent.MEMBERSHIP_REVOKED: Topic.MEMBERSHIP,
    UserEvent.MEMBERSHIP_MUTED: Topic.MEMBERSHIP,
    UserEvent.SESSION_ENDED: Topic.SESSION,
    UserEvent.SUPPORT_OFFER: Topic.CHAT,
    UserEvent.NOTIFICATION_CREATED: Topic.BELL,
    UserEvent.NOTIFICATION_READ: Topic.BELL,
}

#: Topics after which a socket must check the member's access afresh.
ACCESS_TOPICS: Final = frozenset({Topic.MEMBERSHIP, Topic.SESSION})


def topic_of(event_type: str) -> Topic:
    """The topic of an event type; an unknown type is a programming error (add it above)."""
    try:
        return TOPICS[event_type]
    except KeyError:
        raise ValueError(f"unknown per-user event type {event_type!r}: add it to TOPICS") from None


def user_message(event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message that carries `event` to a member's sockets."""
    return {"type": USER_EVENT, "topic": topic_of(event["type"]).value, "event": event}


def changes_access(message: dict[str, Any]) -> bool:
    """Whether a per-user message may change what the member may do. A message without a
    topic (sent by an older process during a deploy) is treated as one that does."""
    topic = message.get("topic")
    return topic is None or topic in ACCESS_TOPICS

"""Channel-group names and which channel layer carries them."""

from __future__ import annotations

from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.conf import settings

#: The channel layer alias for room broadcasts (typing, presence and room events), when
#: configured (config/settings/base.py: pub/sub on Redis); else the default layer. User groups and
#: the moderation queue stay on the default layer (the jobs ask its group sets who is online).
ROOM_LAYER_ALIAS = "rooms"

#: Every site moderator's live review queue.
SITE_QUEUE = "moderation.site"


def room_layer_alias() -> str:
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    return ROOM_LAYER_ALIAS if ROOM_LAYER_ALIAS in layers else DEFAULT_CHANNEL_LAYER


def room_layer():
    """The layer that carries `room.<id>` groups (user groups stay on the default layer)."""
    return get_channel_layer(room_layer_alias())


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Every open socket of one member (chat, the bell, the moderation queue)."""
    return f"user.{user_id}"


def group_queue(group_id: int) -> str:
    """The live review queue of one group's facilitators."""
    return f"moderation.group.{group_id}"

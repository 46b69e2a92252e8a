"""A little demo history for the open demo group's chat (called by `seed_demo`)."""

from __future__ import annotations

import uuid

from groups.models import Group

from . import services
from .models import Message

#: Fixed client ids make the seed idempotent: running it twice stores nothing new.
NS = uuid.UUID("5b1f2f0e-3f7e-4c55-9a53-6d0a9c1f4b10")

SCRIPT = [
    (
        "facilitator@example.com",
        "Welcome, everyone! Useful numbers: Samaritans 116 123 (free, any time). "
        "NHS 111 for urgent health advice. Dudley family hub: https://www.dudley.gov.uk",
        "pin",
    ),
    ("parent@example.com", "Morning all. Rough night here, teething again 😴", None),
    (
        "parent2@example.com",
        "Oh no, sending a hug. Frozen flannels worked a bit for us. See you Thursday?",
        "reply",
    ),
    ("parent@example.com", "Yes! I'll bring biscuits.", None),
]


def seed(ctx: dict) -> None:
    users = ctx.get("users", {})
    group = next(
        (g for g in ctx.get("groups", {}).values() if g.join_policy == Group.JoinPolicy.OPEN),
        None,
    )
    if group is None:
        return
    room = services.room_for_group(group.pk)
    previous = None
    for i, (email, body, extra) in enumerate(SCRIPT):
        user = users.get(email)
        if user is None:
            continue
        cid = uuid.uuid5(NS, f"{group.slug}:{i}")
        existing = Message.objects.filter(author=user, client_id=cid).first()
        if existing is None:
            existing = services.message_send(
                user=user,
                room=room,
                body=body,
                client_id=cid,
                reply_to_id=previous.pk if extra == "reply" and previous else None,
                is_facilitator=extra == "pin",
            ).message
            if extra == "pin":
                services.message_pin(user=user, room=room, message_id=existing.pk)
        previous = existing

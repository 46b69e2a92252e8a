"""Demo watch-list entries (called by `seed_demo`). Idempotent: found before created.

Crisis phrases and UK helplines are seeded by migration 0002 for every site, not only demos.
"""

from __future__ import annotations

from .matching import normalise
from .models import WatchTerm

TERMS = [
    ("buy followers", WatchTerm.Action.BLOCK, "Spam we keep seeing"),
    ("payday loan", WatchTerm.Action.HOLD, "Often advertising; sometimes a real worry"),
    ("idiot", WatchTerm.Action.FLAG, "Name-calling: post it, but let us look"),
]


def seed(ctx: dict) -> None:
    moderator = ctx.get("users", {}).get("moderator@example.com")
    for term, action, note in TERMS:
        WatchTerm.objects.get_or_create(
            normalised=normalise(term),
            defaults={"term": term, "action": action, "note": note, "created_by": moderator},
        )

"""Keep the header's cached "facilitates a group" flag in step with memberships.

A role or status change drops the flag at once and again after commit (so a rolled-back
change or a read in between cannot leave it stale); the next page recomputes it with one light
query. Logging in recomputes it, so ordinary pages add no query. Bulk `.update()`s of memberships
(moderation's remove and ban) call `forget_facilitator_flag` themselves.
"""

from __future__ import annotations

from django.db import transaction

from groups.permissions import is_site_moderator

from .selectors import forget_facilitator_flag, refresh_facilitator_flag


def membership_changed(sender, instance, **kwargs) -> None:
    user_id = instance.user_id
    if user_id is None:
        return
    forget_facilitator_flag(user_id)
    transaction.on_commit(lambda: forget_facilitator_flag(user_id))


def logged_in(sender, request, user, **kwargs) -> None:
    if not is_site_moderator(user):
        refresh_facilitator_flag(user.pk)

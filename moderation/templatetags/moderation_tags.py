"""Template helpers for moderation links that appear on every page (kept free of queries)."""

from django import template

from groups.permissions import is_site_moderator
from moderation.selectors import facilitates_any_group

register = template.Library()


@register.simple_tag
def shows_moderation_link(user) -> bool:
    """Moderators, staff and facilitators of any group get a "Moderation" link in the header.

    Facilitation comes from a per-user cached flag (see `facilitates_any_group`), so the
    header adds no query to a page once the flag is warm (it is warmed at log-in)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_site_moderator(user):
        return True
    return facilitates_any_group(user.pk)

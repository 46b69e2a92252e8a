"""The permission module's answers for templates (no queries: they read the user's row)."""

from django import template

from groups.permissions import Action, can_site, is_site_moderator

register = template.Library()


@register.filter(name="is_site_moderator")
def is_site_moderator_filter(user) -> bool:
    """`{% if user|is_site_moderator %}`: a site moderator or staff member."""
    return is_site_moderator(user)


@register.filter
def may_site(user, action: str) -> bool:
    """`{% if user|may_site:"view_audit_log" %}`: may `user` take this site-wide action?"""
    return can_site(user, Action(action))

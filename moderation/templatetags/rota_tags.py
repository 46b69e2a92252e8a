"""Moderation's hours on other apps' pages (the chat's crisis panel, the group page), without
those apps importing moderation: a template asks, `{% load rota_tags %}`."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def honest_hours():
    """For `moderation/_honest_hours.html`: whether nobody is on duty and when they're back."""
    return selectors.honest_hours()


@register.simple_tag
def group_hours(group):
    """The facilitators' own hours for a group."""
    return selectors.group_hours(group=group)

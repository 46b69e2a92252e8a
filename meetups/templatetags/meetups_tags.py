"""Template tags other apps' pages use to show meetups (the group page's next meetup card).

The meetups work fills `next_meetup_card`; until then it renders nothing.
"""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def next_meetup_card(context, group):
    return ""

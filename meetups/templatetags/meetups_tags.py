"""Template tags for meetup pages, and the group page's next-meetup card."""

from django import template
from django.template.loader import render_to_string

from groups.permissions import Action, can, membership_for

from .. import selectors, text

register = template.Library()
_MISSING = object()


@register.filter
def local_day(occ) -> str:
    """The meetup's day on the member's own clock (their profile's time zone)."""
    return text.day(text.start(occ))


@register.filter
def local_times(occ) -> str:
    return text.times(occ)


@register.filter
def short_day(occ) -> str:
    begin = text.start(occ)
    return f"{begin.day} {begin:%b}"


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name):
    return form[name]


@register.simple_tag(takes_context=True)
def next_meetup_card(context, group):
    """The next meetup with the member's answer and one-tap RSVP buttons (members only)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    membership = context.get("membership", _MISSING)
    if membership is _MISSING or (membership is not None and membership.user_id != user.pk):
        membership = membership_for(user, group)
    if not can(user, Action.VIEW_MEETUPS, group, membership):
        return ""
    occ = selectors.next_occurrence(group=group, user=user)
    return render_to_string(
        "meetups/_next_card.html",
        {
            "group": group,
            "occ": occ,
            "mine": occ.my_rsvp if occ else None,
            "can_rsvp": can(user, Action.RSVP, group, membership),
            "next_url": request.path,
        },
        request=request,
    )

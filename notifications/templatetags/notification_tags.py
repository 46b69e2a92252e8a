from django import template

from notifications.selectors import preference_rows

register = template.Library()


@register.inclusion_tag("notifications/_preferences_form.html", takes_context=True)
def notification_preferences(context):
    """The email on/off switches for the member's profile page (saved by notifications)."""
    request = context["request"]
    return {"rows": preference_rows(user=request.user), "csrf_token": context.get("csrf_token")}

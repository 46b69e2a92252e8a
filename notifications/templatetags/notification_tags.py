from django import template

from notifications.forms import QuietHoursForm
from notifications.selectors import preference_rows, quiet_hours_for

register = template.Library()


@register.inclusion_tag("notifications/_preferences_form.html", takes_context=True)
def notification_preferences(context):
    """The email on/off switches for the member's profile page (saved by notifications)."""
    request = context["request"]
    return {"rows": preference_rows(user=request.user), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("notifications/_quiet_hours_form.html", takes_context=True)
def quiet_hours_form(context):
    """The member's quiet hours, for their profile page (saved by notifications)."""
    request = context["request"]
    quiet = quiet_hours_for(user=request.user)
    form = QuietHoursForm(
        initial={"enabled": quiet.enabled, "start": quiet.start, "end": quiet.end}
    )
    return {"form": form, "user": request.user, "csrf_token": context.get("csrf_token")}

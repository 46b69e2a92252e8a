from django import template
from django.conf import settings

from config.village import village
from notifications.forms import QuietHoursForm
from notifications.selectors import preference_rows, push_devices, quiet_hours_for
from notifications.services import BROWSER_SESSION_KEY

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


@register.inclusion_tag("notifications/_phones.html", takes_context=True)
def phone_notifications(context):
    """The member's devices for web push, the button to add this one, and which kinds go to
    phones (saved by notifications)."""
    request = context["request"]
    devices = push_devices(user=request.user)
    this_browser = request.session.get(BROWSER_SESSION_KEY)
    return {
        "devices": devices,
        "this_browser": this_browser,
        "rows": preference_rows(user=request.user) if devices else [],
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "max_devices": village("WEBPUSH_MAX_DEVICES"),
        "csrf_token": context.get("csrf_token"),
    }

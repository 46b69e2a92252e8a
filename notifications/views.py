"""Thin views: the notifications page, opening one, email preferences and unsubscribing."""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.ratelimit import limit_posts

from . import selectors, services
from .forms import QuietHoursForm
from .links import push_actions
from .models import Kind, Notification, PushSubscription, link_unsubscribe_allowed
from .tasks import read_unsubscribe_token


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = selectors.notification_list(user=request.user)
    return render(
        request,
        "notifications/list.html",
        {"notes": notes, "has_unread": any(n.read_at is None for n in notes)},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notification marks it read and goes where it points (only within Village)."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notification_mark_read(user=request.user, notification_ids=[note.pk])
    if note.url and url_has_allowed_host_and_scheme(
        note.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(note.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = services.notification_mark_read(user=request.user)
    if changed:
        messages.success(request, _("All caught up."))
    return redirect("notifications:list")


@login_required
@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    shown = request.POST.getlist("shown")
    services.preferences_set(user=request.user, email_on=request.POST.getlist("email"), kinds=shown)
    messages.success(request, _("Your email choices are saved."))
    return redirect("accounts:profile")


@login_required
@require_POST
def quiet_hours_save(request: HttpRequest) -> HttpResponse:
    form = QuietHoursForm(request.POST)
    if not form.is_valid():  # shown again with what they typed, and what to fix
        return render(request, "notifications/quiet_hours.html", {"form": form})
    services.quiet_hours_set(user=request.user, **form.cleaned_data)
    if form.cleaned_data["enabled"]:
        messages.success(request, _("Your quiet hours are saved."))
    else:
        messages.success(request, _("Quiet hours are off: emails come straight away."))
    return redirect("accounts:profile")


@csrf_exempt  # RFC 8058 one-click: mail providers POST without our CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    parsed = read_unsubscribe_token(token)
    if parsed is None or parsed[1] not in Kind.values:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    user_id, kind = parsed
    label = Kind(kind).label
    if not link_unsubscribe_allowed(kind):  # a link from before these were part of the role
        return render(request, "notifications/unsubscribe_role.html", {"label": label}, status=403)
    if request.method == "POST":
        services.preference_email_off(user_id=user_id, kind=kind)
        return render(request, "notifications/unsubscribed.html", {"label": label})
    return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})


# --- phones (web push) -----------------------------------------------------------------------

PHONES = "phones"  # the profile section's anchor


def _back_to_phones() -> HttpResponse:
    from django.urls import reverse

    return redirect(reverse("accounts:profile") + f"#{PHONES}")


@login_required
@require_POST
@limit_posts("push_subscribe")
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """From static/js/push.js after the member tapped "Notify me on this phone": the
    browser's subscription as JSON. Answers JSON: the device, or a kind error."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        endpoint, p256dh, auth = data.get("endpoint"), keys.get("p256dh"), keys.get("auth")
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("Something went wrong. Please try again.")}, status=400)
    browser_key = request.session.get(services.BROWSER_SESSION_KEY)
    if not isinstance(browser_key, str):
        browser_key = request.session[services.BROWSER_SESSION_KEY] = secrets.token_urlsafe(24)
    try:
        device = services.push_subscription_add(
            user=request.user,
            browser_key=browser_key,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            user_agent=request.headers.get("User-Agent", ""),
            origin=request.headers.get("Origin"),
            own_origin=f"{request.scheme}://{request.get_host()}",
        )
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"id": device.pk, "name": device.name}, status=201)


def _own_device(request: HttpRequest, pk: int) -> PushSubscription:
    try:
        return selectors.push_device_for(user=request.user, pk=pk)
    except PushSubscription.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def push_device_save(request: HttpRequest, pk: int) -> HttpResponse:
    device = _own_device(request, pk)
    try:
        services.push_subscription_update(
            subscription=device,
            name=request.POST.get("name", ""),
            previews=request.POST.get("previews") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_phones()
    messages.success(request, _("Saved."))
    return _back_to_phones()


@login_required
@require_POST
def push_device_delete(request: HttpRequest, pk: int) -> HttpResponse:
    device = _own_device(request, pk)
    name = device.name
    services.push_subscription_delete(subscription=device)
    messages.success(
        request, _("Done. We won't notify %(name)s any more.") % {"name": name}
    )
    return _back_to_phones()


@login_required
@require_POST
def push_preferences_save(request: HttpRequest) -> HttpResponse:
    services.push_preferences_set(
        user=request.user,
        push_on=request.POST.getlist("push"),
        kinds=request.POST.getlist("shown"),
    )
    messages.success(request, _("Your phone notification choices are saved."))
    return _back_to_phones()


def _from_this_site(request: HttpRequest) -> bool:
    """A service worker's fetch carries the page's Origin; another site's form cannot fake it."""
    origin = request.headers.get("Origin", "")
    return origin == f"{request.scheme}://{request.get_host()}"


@csrf_exempt  # a service worker cannot read the CSRF token: the session and the Origin stand in
@require_POST
def push_answer(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A button on a phone notification ("Going", "I'm OK"): the member's own session answers
    it, through the same one-tap endpoint the email's link uses. The push carried only this
    address, never the email link's secret token (the house rule for push payloads)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    if not _from_this_site(request):
        return HttpResponse(status=403)
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    link = next((url for name, _label, url in push_actions(note) if name == action), None)
    if link is None:
        raise Http404("No such answer.")
    match = resolve(urlsplit(link).path)
    return match.func(request, *match.args, **match.kwargs)

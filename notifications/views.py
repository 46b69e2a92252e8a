"""Thin views: the notifications page, opening one, email preferences and unsubscribing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import QuietHoursForm
from .models import Kind, Notification, link_unsubscribe_allowed
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

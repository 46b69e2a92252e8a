"""Thin views for the member's own account: profile, data export and deletion."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import DeleteAccountForm, PrivateDetailsForm, ProfileForm


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(
            request.POST,
            current_time_zone=user.time_zone,
            private_details_skip=user.private_details_skip,
        )
        if form.is_valid():
            try:
                services.profile_update(user=user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "about": user.about,
                "time_zone": user.time_zone,
            },
            current_time_zone=user.time_zone,
        )
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "private_form": _private_form(user)},
    )


def _private_form(user) -> PrivateDetailsForm:
    from core.privatedetails import KINDS

    skip = set(user.private_details_skip or ())
    return PrivateDetailsForm(initial={"ask": [k for k in KINDS if k not in skip]})


@login_required
@require_POST
def private_details(request: HttpRequest) -> HttpResponse:
    """The member's "ask me first" choices for personal details (core.privatedetails)."""
    from core.privatedetails import KINDS

    form = PrivateDetailsForm(request.POST)
    if form.is_valid():
        ask = set(form.cleaned_data["ask"])
        services.private_details_skip_set(
            user=request.user, kinds=[k for k in KINDS if k not in ask]
        )
        messages.success(request, _("Saved."))
    return redirect(reverse("accounts:profile") + "#private-details")


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    data = selectors.account_export(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    filename = f"village-my-data-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            logout(request)
            messages.success(
                request, _("Your account has been deleted. Thank you for being part of Village.")
            )
            return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "notices": selectors.deletion_notices(user=request.user)},
    )


def terms(request: HttpRequest) -> HttpResponse:
    """The current terms of service and house rules, for anyone, and earlier versions' dates."""
    return render(
        request,
        "accounts/terms.html",
        {"terms": selectors.current_terms(), "history": selectors.terms_history()},
    )


@login_required
def terms_accept(request: HttpRequest) -> HttpResponse:
    """"We've updated our terms": read them and agree, then carry on where you were going."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    current = selectors.current_terms()
    if current is None:  # nothing published: nothing to agree to
        return redirect(next_url or "home")
    error = ""
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            error = _("Please tick the box to say you agree, or log out if you'd rather not.")
        else:
            try:
                services.terms_accept(user=request.user, version=int(request.POST["version"]))
            except (KeyError, ValueError):
                error = _("Sorry, something was missing. Please try again.")
            except services.TermsError as exc:
                error = exc.message
            else:
                messages.success(request, _("Thank you. You're all set."))
                return redirect(next_url or "home")
    if request.method == "GET" and request.user.terms_version == current.version:
        return redirect(next_url or "home")
    first_time = request.user.terms_version == 0
    return render(
        request,
        "accounts/terms_accept.html",
        {"terms": current, "next": next_url, "error": error, "first_time": first_time},
        status=400 if error else 200,
    )

"""Thin views: parse input, ask groups.permissions, call one service or selector, render."""

from __future__ import annotations

import uuid as uuidlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.ratelimit import limit_posts
from groups import permissions
from groups.permissions import Action

from . import selectors, services, text
from .access import access_local_entry, access_referral
from .forms import AnswerForm, ConsentForm, LocalEntryForm, SearchForm
from .models import Referral
from .status import status_line

PAGE_SIZE = 20
#: "Nearest first" sorts in the browser (the location never leaves the phone), so it needs
#: every result on one page, up to this many.
NEAREST_CAP = 200


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, needs=selectors.needs())
    filters = form.filters()
    now = timezone.now()
    results = selectors.service_search(user=request.user, filters=filters, now=now)
    nearest = request.GET.get("nearest") == "1"
    page = Paginator(results, NEAREST_CAP if nearest else PAGE_SIZE).get_page(
        None if nearest else request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("nearest", None)
    cards = [_card(s, now) for s in page.object_list]
    return render(
        request,
        "directory/index.html",
        {
            "form": form,
            "page_obj": page,
            "cards": cards,
            "filtering": filters != selectors.Filters(),
            "query": query.urlencode(),
            "nearest": nearest,
        },
    )


def _card(service, now) -> dict:
    location = next(iter(service.locations.all()), None)
    phone = next(iter(service.phones.all()), None)
    return {
        "service": service,
        "who_for": text.who_for(service),
        "times": text.opening_times(service),
        "open_now": text.is_open(service, now),
        "cost": text.cost_text(service),
        "phone": phone,
        "location": location,
        "coords": location is not None and location.latitude is not None,
    }


@login_required
def service(request: HttpRequest, uuid) -> HttpResponse:
    found = selectors.service_for_page(user=request.user, uuid=uuid)
    if found is None:
        raise Http404("No such service.")
    now = timezone.now()
    user = request.user
    return render(
        request,
        "directory/service.html",
        {
            **_card(found, now),
            "can_ask": permissions.may_ask_referral(user) and bool(found.referral_address),
            "offer_to": selectors.offer_choices(user) if found.referral_address else [],
            "can_edit": _may_edit(user, found),
            "share_groups": selectors.share_groups(user),
            "client_id": uuidlib.uuid4(),
            "can_set_contact": permissions.can_site(user, Action.SET_REFERRAL_CONTACT),
            "schedules": list(found.schedules.all()),
            "lines": [text.schedule_line(s) for s in found.schedules.all()],
            "phones": list(found.phones.all()),
            "locations": list(found.locations.all()),
            "languages": [lang.name or lang.code for lang in found.languages.all()],
            "last_checked": found.assured_date or (found.synced_at or found.updated_at).date(),
        },
    )


def _may_edit(user, service) -> bool:
    if not service.is_local:
        return False
    try:
        access_local_entry(user, service.uuid)
    except (Http404, PermissionDenied):
        return False
    return True


def _service_or_404(user, uuid):
    found = selectors.service_for_page(user=user, uuid=uuid)
    if found is None:
        raise Http404("No such service.")
    return found


# --- local entries --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def local_new(request: HttpRequest, slug: str) -> HttpResponse:
    access = permissions.access_group(request.user, slug=slug, action=Action.ADD_LOCAL_ENTRY)
    form = LocalEntryForm(request.POST or None, needs=selectors.all_needs())
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.local_entry_create(user=request.user, group=access.group,
                                                entry=form.entry())
        except services.DirectoryError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Added. Members of %(group)s can find it now.")
                             % {"group": access.group.name})
            return redirect("directory:service", uuid=entry.uuid)
    return render(request, "directory/local_form.html",
                  {"form": form, "group": access.group, "editing": None})


@login_required
@require_http_methods(["GET", "POST"])
def local_edit(request: HttpRequest, uuid) -> HttpResponse:
    service, access = access_local_entry(request.user, uuid)
    initial = selectors.local_entry_initial(service)
    form = LocalEntryForm(request.POST or None, initial=initial, needs=selectors.all_needs())
    if request.method == "POST" and form.is_valid():
        try:
            services.local_entry_update(service=service, entry=form.entry())
        except services.DirectoryError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("directory:service", uuid=service.uuid)
    return render(request, "directory/local_form.html",
                  {"form": form, "group": access.group, "editing": service})


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    permissions.require_site(request.user, Action.APPROVE_LOCAL_ENTRY)
    return render(request, "directory/approvals.html",
                  {"entries": selectors.entries_awaiting_approval()})


@login_required
@require_POST
def approve(request: HttpRequest, uuid) -> HttpResponse:
    permissions.require_site(request.user, Action.APPROVE_LOCAL_ENTRY)
    service = selectors.local_entry(uuid)
    if service is None:
        raise Http404("No such entry.")
    approve = request.POST.get("decision") == "approve"
    services.local_entry_decide(user=request.user, service=service, approve=approve)
    messages.success(request, _("Shared with everyone.") if approve else _("Kept to its group."))
    return redirect("directory:approvals")


@login_required
@require_POST
def referral_contact(request: HttpRequest, uuid) -> HttpResponse:
    permissions.require_site(request.user, Action.SET_REFERRAL_CONTACT)
    service = _service_or_404(request.user, uuid)
    email = request.POST.get("email", "").strip()
    try:
        if email:
            validate_email(email)
    except ValidationError:
        messages.error(request, _("That doesn't look like an email address."))
    else:
        services.referral_contact_set(user=request.user, service=service, email=email)
        messages.success(request, _("Referrals to this service now go to that address."))
    return redirect("directory:service", uuid=service.uuid)


# --- referrals ------------------------------------------------------------------------------


@login_required
@require_POST
@limit_posts("referral")
def referral_ask(request: HttpRequest, uuid) -> HttpResponse:
    if not permissions.may_ask_referral(request.user):
        raise PermissionDenied(Action.CONSENT_REFERRAL.value)
    service = _service_or_404(request.user, uuid)
    try:
        referral = services.referral_ask(member=request.user, service=service)
    except services.DirectoryError as error:
        messages.error(request, error.message)
        return redirect("directory:service", uuid=service.uuid)
    return redirect("directory:referral", pk=referral.pk)


@login_required
@require_POST
@limit_posts("referral")
def referral_offer(request: HttpRequest, uuid) -> HttpResponse:
    service = _service_or_404(request.user, uuid)
    group_id, _sep, member_id = request.POST.get("to", "").partition(":")
    if not (group_id.isdigit() and member_id.isdigit()):
        messages.error(request, _("Please choose who to offer it to."))
        return redirect("directory:service", uuid=service.uuid)
    access = permissions.access_group(request.user, group_id=int(group_id),
                                      action=Action.OFFER_REFERRAL)
    member = selectors.group_member(group=access.group, user_id=int(member_id))
    if member is None:
        messages.error(request, _("Please choose someone in your group."))
        return redirect("directory:service", uuid=service.uuid)
    try:
        referral = services.referral_offer(facilitator=request.user, group=access.group,
                                           member=member, service=service)
    except services.DirectoryError as error:
        messages.error(request, error.message)
        return redirect("directory:service", uuid=service.uuid)
    messages.success(request, _("Offered. %(name)s will see exactly what would be shared, and "
                                "nothing is sent unless they agree.")
                     % {"name": member.display_name})
    return redirect("directory:referral", pk=referral.pk)


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    rows = selectors.referrals_for(request.user)
    return render(request, "directory/referrals.html",
                  {"rows": [(r, status_line(r, viewer=request.user)) for r in rows]})


@login_required
@require_http_methods(["GET", "POST"])
def referral(request: HttpRequest, pk: int) -> HttpResponse:
    ref = access_referral(request.user, pk)
    is_member = ref.member_id == request.user.pk
    form = preview = None
    if ref.status == Referral.Status.OFFERED and is_member:
        form = ConsentForm(request.POST or None, initial={
            "shared_name": ref.shared_name or request.user.display_name})
        if request.method == "POST":
            access_referral(request.user, pk, Action.CONSENT_REFERRAL)
            if form.is_valid() and request.POST.get("step") in ("preview", "agree"):
                d = form.cleaned_data
                preview = services.consent_text(service=ref.service, shared_name=d["shared_name"],
                                                shared_contact=d["shared_contact"], note=d["note"])
                if request.POST.get("step") == "agree":
                    try:
                        services.referral_consent(
                            member=request.user, referral=ref, shown_text=request.POST.get(
                                "shown_text", "").replace("\r\n", "\n"), **d)
                    except services.DirectoryError as error:
                        form.add_error(None, error.message)
                    else:
                        messages.success(request, _("Sent. We'll tell you when they answer."))
                        return redirect("directory:referral", pk=ref.pk)
    elif request.method == "POST":
        raise PermissionDenied(Action.CONSENT_REFERRAL.value)
    return render(request, "directory/referral.html", {
        "referral": ref, "status": status_line(ref, viewer=request.user), "form": form,
        "preview": preview,
        "is_member": is_member,
        "answers": list(ref.answers.all()),
    })


@login_required
@require_POST
def referral_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    ref = access_referral(request.user, pk, Action.WITHDRAW_REFERRAL)
    services.referral_withdraw(member=request.user, referral=ref)
    messages.success(request, _("Withdrawn. Nothing more will be shared, and we've told them."))
    return redirect("directory:referral", pk=ref.pk)


@require_http_methods(["GET", "POST"])
@limit_posts("referral_answer")
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The service's page, reached from the email without an account."""
    ref = services.referral_by_token(token)
    if ref is None:
        return render(request, "directory/answer_invalid.html", status=410)
    form = AnswerForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            ref = services.referral_answer(token=token, answer=form.cleaned_data["answer"],
                                           suggestion=form.cleaned_data["suggestion"])
        except services.DirectoryError as error:
            if error.code == "stale":
                return render(request, "directory/answer_invalid.html", status=410)
            messages.info(request, error.message)
        else:
            done = _("Thank you. We've let %(name)s know.") % {"name": ref.shared_name}
    answered = {a.kind for a in ref.answers.all()}
    return render(request, "directory/answer.html", {
        "referral": ref, "form": form, "done": done, "answered": answered,
        "status": status_line(ref),
    })

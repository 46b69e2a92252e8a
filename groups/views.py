"""Thin views: parse input, ask groups.permissions, call one service or selector, render."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.ratelimit import limit_posts

from . import selectors, services
from .forms import DecisionForm, DirectoryForm, GroupForm, InviteForm, RemoveForm, RequestForm
from .models import Group, Membership
from .permissions import (
    Action,
    GroupAccess,
    Role,
    access_group,
    can_site,
    membership_for,
    require_site,
)

PAGE_SIZE = 20


def _detail(group: Group):
    return redirect("groups:detail", slug=group.slug)


def _why_not_join(access: GroupAccess) -> str:
    membership = access.membership
    if membership is not None:
        if membership.status == Membership.Status.BANNED:
            return _("Sorry, you can't join this group.")
        if membership.status == Membership.Status.ACTIVE:
            return _("You're already a member of this group.")
        if membership.status == Membership.Status.PENDING:
            return _("You've already asked to join. A facilitator will get back to you.")
    if access.group.join_policy == Group.JoinPolicy.INVITE:
        return _("This group is by invitation only. Ask a facilitator for an invite link.")
    return _("You can't join this group right now.")


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(
        request.GET or None,
        topics=selectors.directory_topics(),
        areas=selectors.directory_areas(),
    )
    filters = form.filters() if request.GET else {"q": "", "topic": "", "area": ""}
    page = Paginator(selectors.group_directory(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "groups/directory.html",
        {
            "form": form,
            "page_obj": page,
            "groups": page.object_list,
            "filtering": any(filters.values()),
            "query": query.urlencode(),
            "can_create": can_site(request.user, Action.CREATE_GROUP),
        },
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug)
    user = request.user
    page = selectors.group_page(group=access.group)
    group = access.group
    full = group.member_limit is not None and page.member_count >= group.member_limit
    return render(
        request,
        "groups/detail.html",
        {
            "group": group,
            "page": page,
            "membership": access.membership,
            "is_member": Role.MEMBER in access.roles,
            "is_pending": Role.PENDING in access.roles,
            "is_banned": bool(
                access.membership and access.membership.status == Membership.Status.BANNED
            ),
            "full": full,
            "can_join": (not user.is_authenticated and group.join_policy == Group.JoinPolicy.OPEN)
            or access.can(user, Action.JOIN_GROUP),
            "can_request": (
                not user.is_authenticated and group.join_policy == Group.JoinPolicy.REQUEST
            )
            or access.can(user, Action.REQUEST_TO_JOIN),
            "can_leave": access.can(user, Action.LEAVE_GROUP),
            "can_chat": access.can(user, Action.READ_CHAT),
            "can_meetups": access.can(user, Action.VIEW_MEETUPS),
            "can_manage": access.can(user, Action.MANAGE_MEMBERS)
            or access.can(user, Action.REMOVE_MEMBER),
            "can_edit": access.can(user, Action.EDIT_GROUP),
            "can_see_people": access.can(user, Action.VIEW_MEMBERS),
            "can_ask_facilitators": access.can(user, Action.ASK_FACILITATORS),
            "can_start_checkin": access.can(user, Action.START_CHECKIN),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@limit_posts("join")
def join(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug)
    group = access.group
    if group.join_policy == Group.JoinPolicy.REQUEST and access.can(
        request.user, Action.REQUEST_TO_JOIN
    ):
        return redirect("groups:request", slug=group.slug)
    if not access.can(request.user, Action.JOIN_GROUP):
        messages.info(request, _why_not_join(access))
        return _detail(group)
    if request.method == "POST":
        try:
            services.membership_join(user=request.user, group=group)
        except services.GroupError as error:
            messages.error(request, error.message)
            return _detail(group)
        messages.success(
            request, _("Welcome to %(group)s! You're a member now.") % {"group": group.name}
        )
        return _detail(group)
    return render(request, "groups/join.html", {"group": group})


@login_required
@require_http_methods(["GET", "POST"])
@limit_posts("join_request")
def request_to_join(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug)
    group = access.group
    if not access.can(request.user, Action.REQUEST_TO_JOIN):
        if group.join_policy == Group.JoinPolicy.OPEN and access.can(
            request.user, Action.JOIN_GROUP
        ):
            return redirect("groups:join", slug=group.slug)
        messages.info(request, _why_not_join(access))
        return _detail(group)
    questions = list(group.join_questions or [])[: services.MAX_JOIN_QUESTIONS]
    form = RequestForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_request(user=request.user, group=group, answers=form.answers())
        except services.GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you! We've sent your request to the facilitators. We'll let you know."),
            )
            return _detail(group)
    return render(request, "groups/request.html", {"group": group, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug)
    group = access.group
    if not access.can(request.user, Action.LEAVE_GROUP):
        messages.info(request, _("You're not a member of this group."))
        return _detail(group)
    if request.method == "POST":
        try:
            services.membership_leave(user=request.user, group=group)
        except services.GroupError as error:
            if error.code == "last_facilitator":
                # The leave page explains and offers the way on.
                return redirect("groups:leave", slug=group.slug)
            messages.info(request, error.message)
            return _detail(group)
        messages.success(
            request,
            _("You've left %(group)s. You're welcome back any time.") % {"group": group.name},
        )
        return redirect("home")
    pending = Role.PENDING in access.roles
    return render(
        request,
        "groups/leave.html",
        {
            "group": group,
            "pending": pending,
            "last_facilitator": selectors.is_last_facilitator(membership=access.membership),
        },
    )


@login_required
def people(request: HttpRequest, slug: str) -> HttpResponse:
    """Who's in the group, for its members: display names only, facilitators marked."""
    access = access_group(request.user, slug=slug, action=Action.VIEW_MEMBERS)
    return render(
        request,
        "groups/people.html",
        {
            "group": access.group,
            "people": selectors.group_people(group=access.group),
            "can_manage": access.can(request.user, Action.MANAGE_MEMBERS)
            or access.can(request.user, Action.REMOVE_MEMBER),
            "can_start_checkin": access.can(request.user, Action.START_CHECKIN),
        },
    )


# --- facilitators: member management ------------------------------------------------------


def _access_manage(request: HttpRequest, slug: str) -> GroupAccess:
    access = access_group(request.user, slug=slug)
    if not (
        access.can(request.user, Action.MANAGE_MEMBERS)
        or access.can(request.user, Action.REMOVE_MEMBER)
    ):
        raise PermissionDenied(Action.MANAGE_MEMBERS.value)
    return access


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    access = _access_manage(request, slug)
    lists = selectors.member_management(group=access.group)
    manage = access.can(request.user, Action.MANAGE_MEMBERS)
    return render(
        request,
        "groups/members.html",
        {
            "group": access.group,
            "lists": lists,
            "can_manage": manage,
            "can_invite": access.can(request.user, Action.MANAGE_INVITES),
            "can_remove": access.can(request.user, Action.REMOVE_MEMBER),
            "can_promote": access.can(request.user, Action.MAKE_FACILITATOR),
            "is_facilitator": Role.FACILITATOR in access.roles,
            "last_facilitator": Role.FACILITATOR in access.roles and lists.facilitator_count <= 1,
            "decision_form": DecisionForm(),
            "invite_form": InviteForm(),
            "invites": [
                (inv, request.build_absolute_uri(reverse("groups:invite", args=[inv.token])))
                for inv in lists.invites
            ],
        },
    )


def _membership_or_404(group: Group, pk: int) -> Membership:
    membership = selectors.membership_in_group(group=group, membership_id=pk)
    if membership is None:
        raise Http404("No such member.")
    return membership


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.MANAGE_MEMBERS)
    membership = _membership_or_404(access.group, pk)
    form = DecisionForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    name = membership.user.public_name
    try:
        if request.POST.get("decision") == "approve":
            services.membership_approve(membership=membership, actor=request.user, message=message)
            messages.success(request, _("%(name)s is in. We've let them know.") % {"name": name})
        elif request.POST.get("decision") == "decline":
            services.membership_decline(membership=membership, actor=request.user, message=message)
            messages.success(
                request, _("You said no to %(name)s. We've let them know kindly.") % {"name": name}
            )
        else:
            messages.error(request, _("Please choose yes or no."))
    except services.GroupError as error:
        messages.error(request, error.message)
    return redirect("groups:members", slug=access.group.slug)


@login_required
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.REMOVE_MEMBER)
    membership = _membership_or_404(access.group, pk)
    form = RemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_remove(
                membership=membership, actor=request.user, ban=form.cleaned_data["ban"]
            )
        except services.GroupError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(name)s is no longer in the group.") % {"name": membership.user.public_name},
            )
        return redirect("groups:members", slug=access.group.slug)
    return render(
        request,
        "groups/remove.html",
        {"group": access.group, "target": membership, "form": form},
    )


@login_required
@require_POST
def make_facilitator(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.MAKE_FACILITATOR)
    membership = _membership_or_404(access.group, pk)
    try:
        services.membership_make_facilitator(membership=membership, actor=request.user)
    except services.GroupError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s is now a facilitator.") % {"name": membership.user.public_name},
        )
    return redirect("groups:members", slug=access.group.slug)


@login_required
@require_POST
def step_down(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.MANAGE_MEMBERS)
    try:
        services.membership_step_down(user=request.user, group=access.group)
    except services.GroupError as error:
        messages.info(request, error.message)
        return redirect("groups:members", slug=access.group.slug)
    messages.success(request, _("Thank you for facilitating. You're an ordinary member again now."))
    return _detail(access.group)


@login_required
@require_POST
@limit_posts("invite_create")
def invite_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.MANAGE_INVITES)
    form = InviteForm(request.POST)
    days = form.cleaned_data["days"] if form.is_valid() else services.DEFAULT_INVITE_DAYS
    try:
        services.invite_create(group=access.group, created_by=request.user, days=days)
    except services.GroupError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Here's a new invite link. Copy it and share it."))
    return redirect(reverse("groups:members", kwargs={"slug": access.group.slug}) + "#invites")


@login_required
@require_POST
def invite_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.MANAGE_INVITES)
    invite = selectors.invite_in_group(group=access.group, invite_id=pk)
    if invite is None:
        raise Http404("No such invite.")
    try:
        services.invite_revoke(invite=invite, actor=request.user)
    except services.GroupError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, _("That invite link is switched off now."))
    return redirect(reverse("groups:members", kwargs={"slug": access.group.slug}) + "#invites")


# --- invite links -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@limit_posts("invite_accept")
def invite(request: HttpRequest, token: str) -> HttpResponse:
    """Invite landing page: the only way into an unlisted group for someone outside it."""
    found = selectors.invite_by_token(token=token)
    problem = services.invite_problem(found)
    if problem is not None:
        return render(
            request, "groups/invite.html", {"problem": problem}, status=410 if found else 404
        )
    group = found.group
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            services.invite_accept(token=token, user=request.user)
        except services.GroupError as error:
            if error.code == "already_member":
                messages.info(request, error.message)
                return _detail(group)
            return render(request, "groups/invite.html", {"problem": error, "group": group})
        messages.success(
            request, _("Welcome to %(group)s! You're a member now.") % {"group": group.name}
        )
        return _detail(group)
    membership = membership_for(request.user, group)
    return render(
        request,
        "groups/invite.html",
        {
            "group": group,
            "invite": found,
            "membership": membership,
            "status": membership.status if membership else "",
            "full": selectors.group_is_full(group=group),
        },
    )


# --- creating and editing groups ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    require_site(request.user, Action.CREATE_GROUP)
    form = GroupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                **form.service_fields(),
                topics=form.cleaned_data["topics"],
                created_by=request.user,
                facilitator=request.user if request.POST.get("facilitate") else None,
            )
        except services.GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your group is ready."))
            return _detail(group)
    return render(request, "groups/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.EDIT_GROUP)
    group = access.group
    form = GroupForm(request.POST if request.method == "POST" else None, instance=copy.copy(group))
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                group=group,
                actor=request.user,
                topics=form.cleaned_data["topics"],
                **form.service_fields(),
            )
        except services.GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved. Thank you."))
            return _detail(group)
    return render(request, "groups/form.html", {"form": form, "group": group, "creating": False})

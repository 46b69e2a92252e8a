"""Private check-in pages (chat/checkins.py says what a check-in is). The conversation page is
the room page, with the check-in's own gate; it works without JavaScript and chat.js makes it
live over /ws/checkins/<pk>/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.selectors import member_by_id
from groups.permissions import (
    Action,
    access_checkin,
    access_group,
    may_start_checkin,
)

from . import checkins, services
from .views import room_page

#: Where a check-in was opened from (kept in the log line, so the hand-over can be followed).
SOURCES = {"nudge", "drift", "case", "crisis", "member", "group", "people", "notification"}


@login_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    room = services.checkin_room(pk)
    access = access_checkin(request.user, room, Action.READ_CHAT)
    mine = room.member_id == request.user.pk
    if request.method == "GET":
        checkins.checkin_seen(user=request.user, room=room)
    extra = {
        "checkin": room,
        "checkin_is_mine": mine,
        "checkin_name": room.member.public_name,
        "ws_path": f"/ws/checkins/{room.pk}/",
        "outbox_key": f"checkin-{room.pk}",
        "can_pin": False,
        "can_slow_mode": False,
    }
    return room_page(request, access, room, checkins.checkin_url(room), extra)


def _target(request):
    raw = request.POST.get("member") or request.GET.get("member")
    if raw in (None, ""):
        return request.user
    return member_by_id(raw)


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Open (or reopen) the check-in between a member and their group's facilitators.

    GET asks first (a link in an email or the drift view lands here; nothing is created by
    following a link), unless the conversation already exists; POST opens it."""
    slug = request.POST.get("group") or request.GET.get("group") or ""
    access = access_group(request.user, slug=slug)
    group = access.group
    target = _target(request)
    if not may_start_checkin(request.user, group, access.membership, target):
        if target is None or target.pk != request.user.pk:
            raise Http404("No such member.")
        raise PermissionDenied(Action.ASK_FACILITATORS.value)
    source = request.POST.get("source") or request.GET.get("source") or ""
    source = source if source in SOURCES else ""
    existing = checkins.checkin_for(group=group, member=target)
    if existing is not None:
        return HttpResponseRedirect(checkins.checkin_url(existing))
    if request.method == "POST":
        room = checkins.checkin_start(user=request.user, group=group, member=target, source=source)
        return HttpResponseRedirect(checkins.checkin_url(room) + "#composer")
    return render(
        request,
        "chat/checkin_start.html",
        {
            "group": group,
            "target": target,
            "mine": target.pk == request.user.pk,
            "source": source,
        },
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    rooms = checkins.checkins_for(request.user)
    return render(
        request,
        "chat/checkin_list.html",
        {"rooms": rooms, "start_url": reverse("checkins:start")},
    )



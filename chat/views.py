"""The room page: works without JavaScript (the plain forms post here and go through the same
services as the websocket); chat.js upgrades it to realtime."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.permissions import Action, access_group

from . import selectors, services
from .forms import EditForm, MessageForm
from .models import Message, Reaction
from .services import ChatError


def _room_url(url: str, anchor: str = "", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


@login_required
def room(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_group(request.user, slug=slug, action=Action.READ_CHAT)
    room = services.room_for_group(access.group.pk)
    return room_page(request, access, room, reverse("chat:room", kwargs={"slug": slug}))


def room_page(request: HttpRequest, access, room, page_url: str, extra=None) -> HttpResponse:
    """A room's page and its no-JS forms: the group's room, or a private check-in (whose
    `access` comes from access_checkin and `extra` adds to the page)."""
    form = None
    edit_form = None
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "send")
        try:
            if action == "send":
                form = MessageForm(request.POST)
                if form.is_valid():
                    if not access.can(request.user, Action.POST_MESSAGE):
                        raise _silenced(access)
                    result = services.message_send(
                        user=request.user,
                        room=room,
                        body=form.cleaned_data["body"],
                        client_id=form.cleaned_data["client_id"],
                        reply_to_id=form.cleaned_data.get("reply_to"),
                        is_facilitator=bool(access.membership and access.membership.is_facilitator),
                    )
                    return HttpResponseRedirect(
                        _room_url(
                            page_url,
                            f"m-{result.message.pk}",
                            support="1" if result.crisis else "",
                        )
                    )
            else:
                mid = request.POST.get("message_id")
                if action == "edit":
                    edit_form = EditForm(request.POST)
                    if not access.can(request.user, Action.POST_MESSAGE):
                        raise _silenced(access)
                    if edit_form.is_valid():
                        services.message_edit(
                            user=request.user,
                            room=room,
                            message_id=mid,
                            body=edit_form.cleaned_data["body"],
                        )
                        return HttpResponseRedirect(_room_url(page_url, f"m-{mid}"))
                elif action == "delete":
                    if request.POST.get("confirm") != "yes":
                        # Without JavaScript nothing else asks first, and it can't be undone.
                        return _confirm_delete(request, access, room, mid, page_url)
                    services.message_delete(user=request.user, room=room, message_id=mid)
                    return HttpResponseRedirect(_room_url(page_url))
                elif action == "react":
                    if not access.can(request.user, Action.REACT):
                        raise _silenced(access)
                    services.reaction_toggle(
                        user=request.user,
                        room=room,
                        message_id=mid,
                        emoji=request.POST.get("emoji"),
                    )
                    return HttpResponseRedirect(_room_url(page_url, f"m-{mid}"))
                elif action == "slow_mode":
                    if not access.can(request.user, Action.SET_SLOW_MODE):
                        raise ChatError("forbidden", _("Only facilitators can change slow mode."))
                    services.room_set_slow_mode(
                        user=request.user, room=room, seconds=request.POST.get("seconds")
                    )
                    return HttpResponseRedirect(_room_url(page_url, "tools"))
                elif action in ("pin", "unpin"):
                    if not access.can(request.user, Action.PIN_MESSAGE):
                        raise ChatError("forbidden", _("Only facilitators can pin messages."))
                    services.message_pin(
                        user=request.user, room=room, message_id=mid, pinned=action == "pin"
                    )
                    return HttpResponseRedirect(_room_url(page_url, f"m-{mid}"))
                else:
                    error = _("Sorry, we didn't understand that.")
        except ChatError as e:
            error = e.text
    elif request.GET.get("delete"):
        try:
            return _confirm_delete(request, access, room, request.GET["delete"], page_url)
        except ChatError as e:
            error = e.text
    status = 400 if request.method == "POST" or error else 200
    return _render_room(request, access, room, form, edit_form, error, status, page_url, extra)


def _confirm_delete(request, access, room, message_id, page_url) -> HttpResponse:
    message = selectors.own_live_message(room=room, user=request.user, message_id=message_id)
    if message is None:
        raise ChatError("not_found", _("We couldn't find that message."))
    return render(
        request,
        "chat/delete_confirm.html",
        {"group": access.group, "message": message, "room_url": page_url},
    )


def _silenced(access) -> ChatError:
    m = access.membership
    if m is not None and m.is_muted():
        return ChatError("muted", _("You can post again after %(when)s.") % {"when": _when(m)})
    return ChatError("forbidden", _("Sorry, you can't post in this group right now."))


def _when(membership) -> str:
    from django.utils import formats

    return formats.date_format(timezone.localtime(membership.muted_until), "DATETIME_FORMAT")


def _render_room(request, access, room, form, edit_form, error, status, page_url, extra):
    user = request.user
    before = request.GET.get("before")
    page = selectors.message_page(room=room, viewer_id=user.pk, before=before)
    pinned = selectors.pinned_messages(room=room)
    read_seq = selectors.read_position(room=room, user=user)
    divider_id = selectors.first_unread_id(page.messages, read_seq=read_seq, viewer_id=user.pk)
    head = room.last_seq
    if not before and request.method == "GET":
        services.room_mark_read(user=user, room=room, seq=head)
    can_post = access.can(user, Action.POST_MESSAGE)
    can_react = access.can(user, Action.REACT)
    can_pin = access.can(user, Action.PIN_MESSAGE)
    can_slow_mode = access.can(user, Action.SET_SLOW_MODE)
    muted_until = None
    if access.membership is not None and access.membership.is_muted():
        muted_until = access.membership.muted_until
    reply_to = None
    reply_id = request.POST.get("reply_to") or request.GET.get("reply")
    if reply_id:
        reply_to = next(
            (m for m in page.messages if str(m.pk) == str(reply_id) and m.state == "visible"),
            None,
        )
        if reply_to is None:
            reply_to = (
                selectors.room_messages_for(room=room, viewer_id=None)
                .filter(pk=_int(reply_id), deleted_at__isnull=True, state=Message.State.VISIBLE)
                .select_related("author")
                .first()
            )
    if form is None:
        form = MessageForm(
            initial={"client_id": uuid.uuid4(), "reply_to": reply_to.pk if reply_to else None}
        )
    elif form.is_bound and not error:
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    editing = None
    edit_id = request.POST.get("message_id") if edit_form else request.GET.get("edit")
    if edit_id:
        editing = next(
            (
                m
                for m in page.messages
                if str(m.pk) == str(edit_id)
                and m.author_id == user.pk
                and m.state in (Message.State.VISIBLE, Message.State.HELD)
            ),
            None,
        )
        if editing is not None and edit_form is None:
            edit_form = EditForm(initial={"body": editing.body})
    if form.is_bound and not form.data.get("client_id"):
        form = MessageForm(initial={"client_id": uuid.uuid4(), "body": form.data.get("body", "")})
    context = {
        "group": access.group,
        "room": room,
        "page": page,
        "messages_list": page.messages,
        "pinned": pinned,
        "divider_id": divider_id,
        "head": head,
        "form": form,
        "edit_form": edit_form,
        "editing": editing,
        "error": error,
        "can_post": can_post,
        "can_react": can_react,
        "can_pin": can_pin,
        "can_slow_mode": can_slow_mode,
        "slow_mode_choices": _slow_mode_choices(room.slow_mode_seconds) if can_slow_mode else [],
        "can_report": access.can(user, Action.REPORT_CONTENT),
        "muted_until": muted_until,
        "reply_to": reply_to,
        "emoji": Reaction.Emoji.choices,
        "emoji_json": json.dumps(dict(Reaction.Emoji.choices), ensure_ascii=False),
        "support": request.GET.get("support") == "1",
        "earliest_id": page.messages[0].pk if page.messages else None,
        "max_chars": settings.VILLAGE["CHAT_MAX_MESSAGE_CHARS"],
        "heartbeat": settings.VILLAGE["CHAT_HEARTBEAT_SECONDS"],
        "held_state": Message.State.HELD,
        "page_url": page_url,
        "ws_path": f"/ws/groups/{access.group.slug}/chat/",
        "outbox_key": access.group.slug,
        **(extra or {}),
    }
    if request.method == "GET" and request.GET.get("fragment") == "earlier" and before:
        # chat.js's "Load earlier messages" in place: just the older messages.
        response = render(request, "chat/_earlier.html", context)
        response["X-Has-Earlier"] = "1" if page.has_earlier else "0"
        response["X-Earliest-Id"] = str(context.get("earliest_id") or "")
        return response
    return render(request, "chat/room.html", context, status=status)


def _slow_mode_choices(current: int) -> list[tuple[int, str]]:
    from django.utils.translation import ngettext

    choices = [(0, _("Off"))]
    for n in sorted({10, 30, 60, 300} | ({current} if current else set())):
        if n % 60 == 0:
            label = ngettext("Every minute", "Every %(n)s minutes", n // 60) % {"n": n // 60}
        else:
            label = ngettext("Every second", "Every %(n)s seconds", n) % {"n": n}
        choices.append((n, label))
    return choices


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

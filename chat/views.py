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
from django.utils.translation import gettext as _

from groups.permissions import Action, access_group

from . import commands, selectors, services
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
    `access` comes from access_checkin and `extra` adds to the page). Each form's action is a
    chat command (`chat.commands`, the websocket's too); a refusal is shown on the page with
    what was typed kept."""
    form = None
    edit_form = None
    error = ""
    error_code = ""
    if request.method == "POST":
        action = request.POST.get("action", "send")
        if action == "send":
            form = MessageForm(request.POST)
            if request.POST.get("private") == "edit":
                # "Edit" on the personal-details question: back to the box, text kept.
                return _render_room(
                    request, access, room, form, None, "", 200, page_url, extra, ""
                )
        elif action == "edit":
            edit_form = EditForm(request.POST)
        try:
            if action == "delete" and request.POST.get("confirm") != "yes":
                # Without JavaScript nothing else asks first, and it can't be undone.
                mid = request.POST.get("message_id")
                return _confirm_delete(request, access, room, mid, page_url)
            result = commands.run(request.user, access, room, _command(action, request.POST))
            return HttpResponseRedirect(_after(result, page_url))
        except commands.PrivateDetails as e:
            return _confirm_private(request, access, e, page_url)
        except ChatError as e:
            error, error_code = e.text, e.code
    elif request.GET.get("delete"):
        try:
            return _confirm_delete(request, access, room, request.GET["delete"], page_url)
        except ChatError as e:
            error, error_code = e.text, e.code
    status = 400 if request.method == "POST" or error else 200
    return _render_room(
        request, access, room, form, edit_form, error, status, page_url, extra, error_code
    )


def _command(action: str, post) -> dict:
    """The chat command a no-JS form asks for (the websocket frame's shape)."""
    mid = post.get("message_id")
    if action == "send":
        return {
            "type": "send",
            "body": post.get("body", ""),
            "client_id": post.get("client_id"),
            "reply_to": post.get("reply_to") or None,
            "confirmed": post.get("private") == "send",
            "dont_ask": post.getlist("dont_ask"),
        }
    if action == "edit":
        return {"type": "edit", "message_id": mid, "body": post.get("body", "")}
    if action == "delete":
        return {"type": "delete", "message_id": mid}
    if action == "react":
        return {"type": "react", "message_id": mid, "emoji": post.get("emoji")}
    if action in ("pin", "unpin"):
        return {"type": "pin", "message_id": mid, "pinned": action == "pin"}
    if action == "slow_mode":
        return {"type": "slow_mode", "seconds": post.get("seconds")}
    return {"type": None}  # refused by commands.run: "we didn't understand that"


def _after(result: commands.Result, page_url: str) -> str:
    """Where the page goes once a command is done: back to the message it was about."""
    if result.type == "send":
        return _room_url(page_url, f"m-{result.message_id}", support="1" if result.crisis else "")
    if result.type == "delete":
        return _room_url(page_url)
    if result.type == "slow_mode":
        return _room_url(page_url, "tools")
    return _room_url(page_url, f"m-{result.message_id}")


def _confirm_private(request, access, e, page_url) -> HttpResponse:
    """The no-JS "Send anyway?" page: the text is kept in the form, nothing is stored."""
    from core.privatedetails import PLURAL_NAMES

    post = request.POST
    return render(
        request,
        "chat/private_confirm.html",
        {
            "group": access.group,
            "question": e.text,
            "body": post.get("body", ""),
            "client_id": post.get("client_id", ""),
            "reply_to": post.get("reply_to", ""),
            "dont_ask": [(k, PLURAL_NAMES[k]) for k in e.kinds],
            "room_url": page_url,
        },
    )


def _confirm_delete(request, access, room, message_id, page_url) -> HttpResponse:
    message = selectors.own_live_message(room=room, user=request.user, message_id=message_id)
    if message is None:
        raise ChatError("not_found", _("We couldn't find that message."))
    return render(
        request,
        "chat/delete_confirm.html",
        {"group": access.group, "message": message, "room_url": page_url},
    )


def _render_room(
    request, access, room, form, edit_form, error, status, page_url, extra, error_code=""
):
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
    if form.is_bound and _uuid(form.data.get("client_id")) is None:
        # Without a usable id the next press could not be told from this one: a fresh one.
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
        "error_code": error_code,
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


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None

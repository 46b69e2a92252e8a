"""Share a directory service into a group's chat as a card (a message: name, opening times,
phone, link), from the service's page. Chat sits above the directory, so it asks the
directory for the service and its card text; the message goes through `chat.commands.run`,
the same path (and the same refusals) as typing it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.urls import absolute
from directory import selectors as directory
from directory import text
from groups.permissions import Action, access_group

from . import commands, services
from .services import ChatError


@login_required
@require_POST
def share_service(request: HttpRequest, uuid_: uuid.UUID) -> HttpResponse:
    service = directory.service_for_page(user=request.user, uuid=uuid_)
    if service is None:
        raise Http404("No such service.")
    slug = request.POST.get("group", "")
    access = access_group(request.user, slug=slug, action=Action.READ_CHAT)
    room = services.room_for_group(access.group.pk)
    path = reverse("directory:service", args=[service.uuid])
    card = text.card_data(service, path)
    command = {
        "type": "send",
        "body": text.card_text(card, absolute(path)),
        "client_id": request.POST.get("client_id") or str(uuid.uuid4()),
        "reply_to": None,
        # A service's published phone and address, not the member's own details: nothing
        # to ask about before sharing (core.privatedetails).
        "confirmed": True,
    }
    try:
        result = commands.run(request.user, access, room, command, card=card)
    except ChatError as error:
        messages.error(request, error.text)
        return redirect("directory:service", uuid=service.uuid)
    return redirect(reverse("chat:room", kwargs={"slug": slug}) + f"#m-{result.message_id}")

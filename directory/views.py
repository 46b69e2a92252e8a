"""Thin views: parse input, ask groups.permissions, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import selectors, text
from .forms import SearchForm

PAGE_SIZE = 20


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, needs=selectors.needs())
    filters = form.filters()
    now = timezone.now()
    results = selectors.service_search(user=request.user, filters=filters, now=now)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
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
    return render(
        request,
        "directory/service.html",
        {
            **_card(found, now),
            "schedules": list(found.schedules.all()),
            "lines": [text.schedule_line(s) for s in found.schedules.all()],
            "phones": list(found.phones.all()),
            "locations": list(found.locations.all()),
            "languages": [lang.name or lang.code for lang in found.languages.all()],
            "last_checked": found.assured_date or (found.synced_at or found.updated_at).date(),
        },
    )

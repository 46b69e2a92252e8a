"""Meetup pages. Thin: parse, ask groups.permissions, call one service or selector, render."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from groups.permissions import (
    Action,
    GroupAccess,
    access_group,
    access_group_by_user_id,
    can,
    membership_for,
)

from . import forms, ical, selectors, services, text, tokens
from .models import Rsvp

FORBIDDEN_WORDS = {
    Action.TAKE_REGISTER: _("Only the group's facilitators can take the register."),
    Action.SCHEDULE_MEETUP: _("Only the group's facilitators can plan or change meetups."),
    Action.VIEW_ATTENDANCE: _("Only the group's facilitators can see attendance."),
    Action.RSVP: _("Only members of this group can answer."),
    Action.CHECK_IN: _("Only members of this group can check in."),
    Action.VIEW_MEETUPS: _("Meetups are for members of this group. Join the group to see them."),
}


def guarded(action: Action):
    """Look the group up through the permission module; anonymous people log in first, and a
    refusal is a kind page, not a bare error."""

    def wrap(view):
        @functools.wraps(view)
        def inner(request, slug, *args, **kwargs):
            try:
                access = access_group(request.user, slug=slug, action=action)
            except PermissionDenied:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if request.headers.get("Accept", "").startswith("application/json"):
                    return JsonResponse(
                        {"ok": False, "error": str(FORBIDDEN_WORDS.get(action, ""))}, status=403
                    )
                return render(
                    request,
                    "meetups/forbidden.html",
                    {
                        "message": FORBIDDEN_WORDS.get(action, _("Sorry, you can't do that here.")),
                        "slug": slug,
                    },
                    status=403,
                )
            return view(request, access, *args, **kwargs)

        return inner

    return wrap


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _ctx(request, access: GroupAccess, **extra):
    user = request.user
    return {
        "group": access.group,
        "can_schedule": access.can(user, Action.SCHEDULE_MEETUP),
        "can_register": access.can(user, Action.TAKE_REGISTER),
        "can_rsvp": access.can(user, Action.RSVP),
        "can_see_attendance": access.can(user, Action.VIEW_ATTENDANCE),
        **extra,
    }


@guarded(Action.VIEW_MEETUPS)
def meetup_list(request, access):
    rows = selectors.upcoming(group=access.group, user=request.user)
    return render(request, "meetups/list.html", _ctx(request, access, occurrences=rows))


@guarded(Action.VIEW_MEETUPS)
def occurrence_detail(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    now = timezone.now()
    ctx = _ctx(
        request,
        access,
        occ=occ,
        mine=selectors.my_rsvp(occurrence=occ, user=request.user),
        rsvp_form=forms.RsvpForm(),
        checkin_open=services.checkin_open(occ, now),
        is_past=occ.ends_at <= now,
        checkin_form=forms.CheckInForm(),
        map_url=text.map_url(occ.venue_name, occ.venue_address),
    )
    return render(request, "meetups/occurrence.html", ctx)


@guarded(Action.RSVP)
def rsvp(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    if request.method != "POST":
        return redirect(services.occurrence_url(occ))
    form = forms.RsvpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose going, not sure or can't make it."))
        return redirect(services.occurrence_url(occ))
    try:
        row = services.rsvp_set(
            occurrence=occ, user=request.user, answer=form.cleaned_data["answer"],
            message=form.cleaned_data["message"],
        )  # fmt: skip
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect(services.occurrence_url(occ))
    if row.waitlisted:
        full = _(
            "It's full just now, so you're on the waiting list (number %(n)s). "
            "We'll tell you if a place opens up."
        )
        messages.success(request, full % {"n": row.waitlist_position})
    elif row.answer == Rsvp.Answer.GOING:
        messages.success(request, _("Lovely, see you there!"))
    elif row.answer == Rsvp.Answer.MAYBE:
        messages.success(request, _("Thanks for letting us know. Come if you can."))
    else:
        messages.success(
            request, _("Thanks for letting us know. We'll miss you - see you another time.")
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = services.occurrence_url(occ)
    return redirect(next_url)


@guarded(Action.RSVP)
def rsvp_quick(request, access, pk, answer):
    """The one-tap link from a reminder: one big button to confirm (a link alone never changes
    anything, so email scanners can't answer for people)."""
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    if answer not in Rsvp.Answer.values:
        raise Http404
    label = dict(Rsvp.Answer.choices)[answer]
    return render(
        request,
        "meetups/rsvp_quick.html",
        _ctx(request, access, occ=occ, answer=answer, label=label),
    )


@guarded(Action.VIEW_MEETUPS)
def occurrence_ics(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    body = ical.single_feed([occ], name=occ.title, stamp=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meetup-{occ.pk}.ics"'
    return response


@guarded(Action.VIEW_MEETUPS)
def group_feed(request, access):
    return _group_ics(access.group)


def _group_ics(group) -> HttpResponse:
    body = ical.group_feed(group, selectors.feed_occurrences(group=group), stamp=timezone.now())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


def group_token_feed(request, token):
    """A group's calendar for a calendar app, by the member's private link: the same check as
    the logged-in feed (the member may still see the group's meetups), else the same 404 as an
    unknown link."""
    feed = selectors.group_feed_by_token(token=token)
    if feed is None:
        raise Http404
    try:
        access_group_by_user_id(feed.user_id, feed.group_id, Action.VIEW_MEETUPS)
    except (Http404, PermissionDenied):
        raise Http404 from None
    return _group_ics(feed.group)


def member_feed(request, token):
    owner = selectors.calendar_feed_owner(token=token)
    if owner is None:
        raise Http404
    occs = selectors.member_feed_occurrences(user=owner)
    body = ical.single_feed(occs, name=_("My Village meetups"), stamp=timezone.now())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@guarded(Action.SCHEDULE_MEETUP)
def series_new(request, access):
    group = access.group
    form = forms.SeriesForm(request.POST or None, initial={"time_zone": group.time_zone})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        place = services.Place(
            venue_name=d["venue_name"], venue_address=d["venue_address"],
            accessibility_notes=d["accessibility_notes"], online_url=d["online_url"],
        )  # fmt: skip
        try:
            if d["repeat"] == "0":
                occ = services.one_off_create(
                    group=group, by=request.user, title=d["title"], on=d["first_date"],
                    start_time=d["start_time"], duration_minutes=d["duration_minutes"],
                    time_zone=d["time_zone"] or None, place=place, capacity=d["capacity"],
                )  # fmt: skip
                messages.success(request, _("Your meetup is on the calendar."))
                return redirect(services.occurrence_url(occ))
            series = services.series_create(
                group=group, by=request.user, title=d["title"], first_date=d["first_date"],
                start_time=d["start_time"], duration_minutes=d["duration_minutes"],
                interval_weeks=int(d["repeat"]), ends_on=d["ends_on"],
                time_zone=d["time_zone"] or None, place=place, capacity=d["capacity"],
                reminders_24h=d["reminders_24h"], reminders_2h=d["reminders_2h"],
            )  # fmt: skip
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errs in exc.error_dict.items():
                    for err in errs:
                        form.add_error(name if name in form.fields else None, err)
            else:
                for m in _errors(exc):
                    form.add_error(None, m)
        else:
            first = selectors.series_first_coming(series=series)
            if first is None:  # a series whose every week is already past (kept for history)
                said = _("Your meetups are on the calendar. Members can now say if they're coming.")
            else:
                said = _(
                    "Your meetups are on the calendar. The first one is on %(day)s. "
                    "Members can now say if they're coming."
                ) % {"day": text.day(text.start(first))}
            messages.success(request, said)
            return redirect("meetups:list", slug=group.slug)
    return render(request, "meetups/series_form.html", _ctx(request, access, form=form))


@guarded(Action.SCHEDULE_MEETUP)
def series_edit(request, access, series_pk):
    series = selectors.series_get(group=access.group, pk=series_pk)
    fields = list(forms.SeriesEditForm.base_fields)
    form = forms.SeriesEditForm(
        request.POST or None, initial={name: getattr(series, name) for name in fields}
    )
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != getattr(series, k)}
        try:
            count = services.series_update(series=series, by=request.user, **changes)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errs in exc.error_dict.items():
                    for err in errs:
                        form.add_error(name if name in form.fields else None, err)
            else:
                for m in _errors(exc):
                    form.add_error(None, m)
        else:
            messages.success(
                request,
                ngettext(
                    "Saved. %(n)s coming week now follows the change; weeks you changed by hand "
                    "keep their own details.",
                    "Saved. %(n)s coming weeks now follow the change; weeks you changed by hand "
                    "keep their own details.",
                    count,
                ) % {"n": count},
            )  # fmt: skip
            return redirect("meetups:list", slug=access.group.slug)
    return render(
        request, "meetups/series_edit.html", _ctx(request, access, form=form, series=series)
    )


@guarded(Action.SCHEDULE_MEETUP)
def occurrence_change(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    local = occ.local_start
    cancel_form = forms.CancelForm()
    move_form = forms.MoveForm(
        initial={
            "on": local.date(),
            "start_time": local.time().replace(second=0),
            "venue_name": occ.venue_name,
            "venue_address": occ.venue_address,
        }
    )
    note_form = forms.NoteForm(initial={"note": occ.note, "personal_line": occ.personal_line})
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "cancel":
                cancel_form = forms.CancelForm(request.POST)
                if cancel_form.is_valid():
                    services.occurrence_cancel(
                        occurrence=occ, by=request.user, reason=cancel_form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, _("Cancelled. Everyone who was coming has been told.")
                    )
                    return redirect(services.occurrence_url(occ))
            elif what == "move":
                move_form = forms.MoveForm(request.POST)
                if move_form.is_valid():
                    d = move_form.cleaned_data
                    place = services.Place(
                        venue_name=d["venue_name"], venue_address=d["venue_address"],
                        accessibility_notes=occ.accessibility_notes, online_url=occ.online_url,
                    )  # fmt: skip
                    services.occurrence_move(occurrence=occ, by=request.user, on=d["on"],
                                             start_time=d["start_time"], place=place)  # fmt: skip
                    messages.success(request, _("Moved. Everyone who was coming has been told."))
                    return redirect(services.occurrence_url(occ))
            elif what == "note":
                note_form = forms.NoteForm(
                    request.POST,
                    private_details_skip=request.user.private_details_skip,
                    private_details_on=access.group.private_details_check,
                )
                if note_form.is_valid():
                    services.occurrence_set_note(
                        occurrence=occ, by=request.user, **note_form.cleaned_data
                    )
                    messages.success(request, _("Saved."))
                    return redirect(services.occurrence_url(occ))
        except ValidationError as exc:
            target = {"cancel": cancel_form, "move": move_form}.get(what, note_form)
            for m in _errors(exc):
                target.add_error(None, m)
    return render(
        request,
        "meetups/change.html",
        _ctx(
            request,
            access,
            occ=occ,
            cancel_form=cancel_form,
            move_form=move_form,
            note_form=note_form,
        ),
    )


@guarded(Action.TAKE_REGISTER)
def register(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    if request.method == "POST":
        present = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
        remove = request.POST.get("remove_walk_in", "")
        try:
            services.register_save(
                occurrence=occ, present_ids=present, by=request.user,
                remove_walk_in=int(remove) if remove.isdigit() else None,
            )  # fmt: skip
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
        else:
            if remove:
                messages.success(request, _("Register saved, and the walk-in taken off."))
            else:
                messages.success(request, _("Register saved."))
        return redirect("meetups:register", slug=access.group.slug, pk=occ.pk)
    reg = selectors.register_for(occurrence=occ)
    return render(
        request,
        "meetups/register.html",
        _ctx(request, access, occ=occ, register=reg, walk_in_form=forms.WalkInForm(),
             checkin_open=services.checkin_open(occ, timezone.now()),
             can_reopen=services.can_reopen(occ, timezone.now())),
    )  # fmt: skip


@require_POST
@guarded(Action.TAKE_REGISTER)
def register_tick(request, access, pk):
    """One tick from the register's script: JSON back, so a failed tick can be retried."""
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    user_id = request.POST.get("user", "")
    if not user_id.isdigit():
        return JsonResponse(
            {"ok": False, "error": _("Something went wrong. Please try again.")}, status=400
        )
    present = request.POST.get("present") == "1"
    try:
        if present:
            services.attendance_mark(occurrence=occ, user_ids=[int(user_id)], by=request.user)
        else:
            services.attendance_unmark(occurrence=occ, user_ids=[int(user_id)], by=request.user)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "error": " ".join(_errors(exc))}, status=409)
    return JsonResponse({"ok": True, "user": int(user_id), "present": present})


@require_POST
@guarded(Action.TAKE_REGISTER)
def walk_in(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    form = forms.WalkInForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Please write the person's first name (or a nickname)."))
        services.walk_in_add(occurrence=occ, name=form.cleaned_data["name"], by=request.user)
        messages.success(request, _("Added. Welcome to them!"))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    return redirect("meetups:register", slug=access.group.slug, pk=occ.pk)


@require_POST
@guarded(Action.TAKE_REGISTER)
def register_reopen(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    try:
        services.register_reopen(occurrence=occ, by=request.user)
        messages.success(
            request,
            _("The register is open again. Close it when you're done (or it closes by itself "
              "in a few hours)."),
        )  # fmt: skip
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    return redirect("meetups:register", slug=access.group.slug, pk=occ.pk)


@require_POST
@guarded(Action.TAKE_REGISTER)
def register_close(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    try:
        occ = services.register_close(occurrence=occ, by=request.user)
        if selectors.register_is_empty(occurrence=occ):
            messages.info(
                request,
                _("Register closed. Nobody was marked, so no 'we missed you' messages were sent."),
            )
        else:
            messages.success(request, _("Register closed. Thank you for running the group."))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    return redirect("meetups:register", slug=access.group.slug, pk=occ.pk)


@require_POST
@guarded(Action.CHECK_IN)
def checkin(request, access, pk):
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    form = forms.CheckInForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Please type the code the facilitator is showing."))
        services.self_check_in(occurrence=occ, user=request.user, code=form.cleaned_data["code"])
        messages.success(request, _("You're checked in. Lovely to have you here!"))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    return redirect(services.occurrence_url(occ))


@guarded(Action.VIEW_MEETUPS)
def missed(request, access, pk):
    """The "we missed you" reply: two big buttons."""
    occ = selectors.occurrence_get(group=access.group, pk=pk)
    answered = None
    if request.method == "POST":
        form = forms.NudgeReplyForm(request.POST)
        if form.is_valid() and access.can(request.user, Action.RSVP):
            services.nudge_reply(
                occurrence=occ, user=request.user, choice=form.cleaned_data["answer"]
            )
            answered = form.cleaned_data["answer"]
    nxt = selectors.next_occurrence(group=access.group, user=request.user, after=occ.ends_at)
    return render(
        request,
        "meetups/missed.html",
        _ctx(
            request,
            access,
            occ=occ,
            answered=answered,
            preselect=request.GET.get("answer"),
            next_occ=nxt,
        ),
    )


@guarded(Action.VIEW_ATTENDANCE)
def attendance_grid(request, access):
    grid = selectors.attendance_grid(group=access.group)
    return render(request, "meetups/attendance.html", _ctx(request, access, grid=grid))


@guarded(Action.VIEW_MEETUPS)
def member_settings(request, access):
    if request.method == "POST":
        if request.POST.get("what") == "feed":
            services.calendar_feed_for(user=request.user, renew=True)
            messages.success(
                request, _("Here's your new private link. The old one has stopped working.")
            )
        elif request.POST.get("what") == "group_feed":
            services.group_feed_for(user=request.user, group=access.group, renew=True)
            messages.success(
                request,
                _("Here's a new link for this group's calendar. The old one has stopped working."),
            )
        else:
            form = forms.SettingsForm(request.POST)
            if form.is_valid():
                services.prefs_set(
                    user=request.user, group=access.group, nudges=form.cleaned_data["nudges"]
                )
                messages.success(request, _("Saved."))
        return redirect("meetups:settings", slug=access.group.slug)
    feed = services.calendar_feed_for(user=request.user)
    feed_url = request.build_absolute_uri(reverse("meetups_site:member_feed", args=[feed.token]))
    group_feed_row = services.group_feed_for(user=request.user, group=access.group)
    group_feed_url = request.build_absolute_uri(
        reverse("meetups_site:group_token_feed", args=[group_feed_row.token])
    )
    form = forms.SettingsForm(
        initial={"nudges": selectors.prefs_for(user=request.user, group=access.group)}
    )
    return render(
        request,
        "meetups/settings.html",
        _ctx(request, access, form=form, feed_url=feed_url, group_feed_url=group_feed_url),
    )


# --- personal one-tap links from emails (no login needed) ---------------------------------


def _one_tap(request, token: str, purpose: tokens.Purpose):
    """GET shows one big button (mail scanners fetch links, so opening one changes nothing);
    POST from that page saves the answer for the member the signed link names. A changed,
    expired or wrong-purpose link, or a member no longer in the group, gets a kind page."""
    try:
        tap = tokens.read(purpose, token)
    except tokens.BadToken as exc:
        expired = isinstance(exc, tokens.ExpiredToken)
        return _one_tap_invalid(request, exc.occurrence_id, expired=expired)
    found = selectors.one_tap_target(user_id=tap.user_id, occurrence_id=tap.occurrence_id)
    if found is None:
        return _one_tap_invalid(request, tap.occurrence_id)
    user, occ = found
    if not can(user, Action.RSVP, occ.group, membership_for(user, occ.group)):
        return _one_tap_invalid(request, tap.occurrence_id)
    labels = dict(tokens.RSVP_LABELS if purpose == tokens.Purpose.RSVP else tokens.NUDGE_LABELS)
    ctx = {
        "occ": occ,
        "group": occ.group,
        "purpose": str(purpose),
        "answer": tap.answer,
        "label": labels[tap.answer],
        "person": user.public_name,
        "done": False,
        "errors": [],
    }
    if request.method == "POST":
        try:
            if purpose == tokens.Purpose.RSVP:
                row = services.rsvp_set(occurrence=occ, user=user, answer=tap.answer)
                ctx["waitlisted"] = row.waitlisted
                ctx["waitlist_position"] = row.waitlist_position
            else:
                services.nudge_reply(occurrence=occ, user=user, choice=tap.answer)
            ctx["done"] = True
        except ValidationError as exc:
            ctx["errors"] = _errors(exc)
    return render(request, "meetups/one_tap.html", ctx, status=400 if ctx["errors"] else 200)


def _one_tap_invalid(request, occurrence_id: int | None, *, expired: bool = False):
    login = reverse("account_login")
    next_url = ""
    if occurrence_id:
        target = selectors.occurrence_path(occurrence_id)
        if target:
            next_url = target
    return render(
        request,
        "meetups/one_tap_invalid.html",
        {"expired": expired, "login_url": login, "next_url": next_url},
        status=400,
    )


# The signed token is the whole authority here (no session is used), so a CSRF token adds
# nothing; exempt, a phone's notification button can answer with one POST from the service
# worker (which cannot read the page's CSRF token).
@csrf_exempt
def rsvp_token(request, token):
    return _one_tap(request, token, tokens.Purpose.RSVP)


@csrf_exempt
def nudge_token(request, token):
    return _one_tap(request, token, tokens.Purpose.NUDGE)

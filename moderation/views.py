"""Moderation pages. Thin: parse, ask the permission module, call one service or selector."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.ratelimit import limit_posts
from config.village import village
from core.errors import ServiceError
from groups.permissions import (
    Action,
    access_group,
    access_message,
    can,
    can_site,
    may_moderate,
    may_see_queue,
    membership_for,
    require_site,
)

from . import risks as risk_services
from . import selectors, services
from .forms import (
    ActionForm,
    AppealDecisionForm,
    AppealForm,
    AuditFilterForm,
    CaseNoteForm,
    ComplaintForm,
    ComplaintUpdateForm,
    ConcernForm,
    CrisisPhraseForm,
    HelplineForm,
    ReportForm,
    RiskForm,
    WatchTermForm,
)
from .models import (
    SAFEGUARDING_KINDS,
    SUPPORTIVE_CLOSES,
    Complaint,
    ModAction,
)
from .services import ModerationError


def _require_queue(user) -> None:
    if not may_see_queue(user):
        raise PermissionDenied("moderation queue")


# --- the queue ------------------------------------------------------------------------------


@login_required
def queue(request):
    _require_queue(request.user)
    items = selectors.queue_items(request.user)
    context = {
        "items": items,
        # Who is on duty heads the page; the live refresh (partial) doesn't need it.
        "status": None if request.GET.get("partial") else selectors.duty_status(),
        "appeals": selectors.appeals_waiting(request.user),
        "action_form": ActionForm(),
        "is_site": can_site(request.user, Action.VIEW_SITE_QUEUE),
        "can_site": {
            "suspend": can_site(request.user, Action.SUSPEND_USER),
            "ban": can_site(request.user, Action.BAN_USER),
            "audit": can_site(request.user, Action.VIEW_AUDIT_LOG),
            "watchlist": can_site(request.user, Action.MANAGE_WATCHLIST),
            "figures": can_site(request.user, Action.VIEW_MODERATION_FIGURES),
            "helplines": can_site(request.user, Action.EDIT_HELPLINES),
        },
    }
    memberships = selectors.memberships_in(request.user, group_ids={i.case.group_id for i in items})
    for item in items:
        _offer(request.user, item, memberships.get(item.case.group_id))
    if request.GET.get("partial"):
        return render(request, "moderation/_queue_items.html", context)
    return render(request, "moderation/queue.html", context)


def _offer(user, item, membership) -> None:
    """What the page offers on one item. For a person who may be at risk, the supportive
    actions come first (`item.supportive`, `item.support`), and the rest (`item.allowed`) go
    under "Other actions"."""
    case, group = item.case, item.case.group
    kinds = [
        kind
        for kind in ModAction.Kind.values
        if _fits(kind, case) and may_moderate(user, kind, group, membership)
    ]
    item.safeguarding = case.kind in SAFEGUARDING_KINDS
    item.closes = [k for k in kinds if k in SUPPORTIVE_CLOSES]
    item.allowed = [k for k in kinds if k not in SUPPORTIVE_CLOSES]
    item.may_note = can(user, Action.ADD_CASE_NOTE, group, membership)
    item.may_pass = can(user, Action.PASS_TO_SAFEGUARDING_LEAD, group, membership)


def _fits(kind: str, case) -> bool:
    K = ModAction.Kind
    if kind in services.MESSAGE_ACTIONS and not case.message_id:
        return False
    if kind in services.PERSON_ACTIONS and not case.subject_id:
        return False
    if kind == K.APPROVE:
        return case.kind == case.Kind.HELD
    if kind == K.DISMISS:
        return case.kind in (case.Kind.REPORTS, case.Kind.FLAGGED)
    if kind in SUPPORTIVE_CLOSES:
        return case.kind in SAFEGUARDING_KINDS
    return True


@login_required
@require_POST
@limit_posts("moderate")
def act(request, pk: int):
    _require_queue(request.user)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose what to do and give a reason."))
        return redirect(reverse("moderation:queue") + f"#case-{pk}")
    try:
        action = services.case_act(
            actor=request.user,
            case_id=pk,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            duration=form.duration_value(),
            site_wide=form.cleaned_data["site_wide"],
            note=form.cleaned_data["note"],
        )
    except ModerationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("moderation:queue") + f"#case-{pk}")
    messages.success(request, _done_words(action))
    return redirect("moderation:queue")


def _done_words(action) -> str:
    """Say who was told, and only who was actually told."""
    if action.kind in SUPPORTIVE_CLOSES:
        words = [_("Done: the item is closed, and it's in the log.")]
    elif action.told_member:
        words = [_("Done. The member has been told, and it's in the log.")]
    else:
        words = [_("Done, and it's in the log.")]
    if action.told_reporters:
        words.append(_("Whoever told us about it has been thanked, without any detail."))
    if not action.told_member:
        words.append(_("The member has not been told anything."))
    return " ".join(words)


# --- one item: its private notes, the safeguarding lead ---------------------------------------


def _case_page(request, case, *, note_form=None, status=200):
    membership = membership_for(request.user, case.group)
    item = selectors.QueueItem(case=case, reports=[], reasons=[])
    item.referral = getattr(case, "referral", None)
    _offer(request.user, item, membership)
    return render(
        request,
        "moderation/case.html",
        {
            "case": case,
            "item": item,
            "timeline": selectors.case_timeline(case),
            "note_form": note_form or CaseNoteForm(),
            "action_form": ActionForm(),
        },
        status=status,
    )


@login_required
def case_detail(request, pk: int):
    case = selectors.access_case(request.user, case_id=pk)
    return _case_page(request, case)


@login_required
@require_POST
@limit_posts("moderate")
def case_note(request, pk: int):
    case = selectors.access_case(request.user, case_id=pk, action=Action.ADD_CASE_NOTE)
    form = CaseNoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_note_add(actor=request.user, case_id=pk, body=form.cleaned_data["body"])
        except ModerationError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, _("Saved. Only the people who look after this item see it."))
            return redirect("moderation:case", pk=pk)
    return _case_page(request, case, note_form=form, status=400)


@login_required
@require_POST
@limit_posts("moderate")
def case_pass(request, pk: int):
    selectors.access_case(request.user, case_id=pk, action=Action.PASS_TO_SAFEGUARDING_LEAD)
    try:
        services.case_pass_to_lead(actor=request.user, case_id=pk)
    except ModerationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Passed to the safeguarding lead. They have been told."))
    return redirect("moderation:case", pk=pk)


# --- reporting ------------------------------------------------------------------------------


@login_required
@limit_posts("report")
def report_message(request, message_id: int):
    try:
        found = access_message(request.user, message_id, Action.REPORT_CONTENT)
    except (Http404, PermissionDenied):
        message, group = None, None
    else:
        message, group = found.message, found.group
    form = ReportForm(request.POST or None)
    if message is None:
        return render(
            request,
            "moderation/report.html",
            {"form": None, "error": _("You can only report messages in groups you belong to.")},
            status=404,
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_message(
                user=request.user,
                message_id=message.pk,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "moderation/report_thanks.html",
                {"group": group, "hours": selectors.honest_hours()},
            )
    return render(
        request,
        "moderation/report.html",
        {"form": form, "message_obj": message, "group": group},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def concern_choose(request):
    """Which group is the person in? (Only the member's own active groups.)"""
    groups = selectors.concern_groups(request.user)
    if len(groups) == 1:
        return redirect("moderation:concern", slug=groups[0].slug)
    return render(request, "moderation/concern_choose.html", {"groups": groups})


@login_required
@limit_posts("concern")
def concern(request, slug: str):
    try:
        access = access_group(request.user, slug=slug, action=Action.REPORT_CONTENT)
    except PermissionDenied:
        raise Http404("No such group.") from None
    members = selectors.concern_subjects(group=access.group, exclude_user=request.user)
    form = ConcernForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_raise(
                user=request.user,
                group_slug=slug,
                note=form.cleaned_data["note"],
                subject_id=form.cleaned_data["subject"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "moderation/concern_thanks.html",
                {"group": access.group, "hours": selectors.honest_hours()},
            )
    return render(
        request,
        "moderation/concern.html",
        {"form": form, "group": access.group},
        status=400 if request.method == "POST" else 200,
    )


# --- support, terms, complaints ---------------------------------------------------------------


def support(request):
    # The chat fetches ?partial=1 right after a message matched a crisis phrase.
    context = {
        "helplines": selectors.helplines_active(),
        "after_message": bool(request.GET.get("partial") or request.GET.get("after")),
        "hours": selectors.honest_hours(),
    }
    if request.GET.get("partial"):
        return render(request, "moderation/_support_panel.html", context)
    return render(request, "moderation/support.html", context)


def terms(request):
    """The terms and house rules live at /terms/ (versioned, accounts.TermsVersion)."""
    return redirect("terms:page", permanent=True)


# --- the illegal-harms risk assessment (staff) -------------------------------------------------


@login_required
def risks(request):
    require_site(request.user, Action.MANAGE_RISK_ASSESSMENT)
    return render(
        request,
        "moderation/risks.html",
        {"risks": risk_services.risk_register(), "today": timezone.localdate()},
    )


@login_required
def risk(request, pk: int | None = None):
    """Add a risk, or change one (a new version; the history is kept and shown)."""
    require_site(request.user, Action.MANAGE_RISK_ASSESSMENT)
    history = risk_services.risk_history(pk) if pk is not None else []
    if pk is not None and not history:
        raise Http404("No such risk.")
    current = history[0] if history else None
    initial = {"owner": request.user.pk}  # a new risk: its author owns it unless they say
    if current is not None:
        initial = {
            "title": current.title, "description": current.description,
            "likelihood": current.likelihood, "impact": current.impact,
            "measures": current.measures, "owner": current.owner_id,
            "review_by": current.review_by,
        }  # fmt: skip
    form = RiskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            risk_services.risk_save(
                actor=request.user, risk=current.risk if current else None, **form.cleaned_data
            )
        except risk_services.RiskError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved as a new version. The earlier ones are kept."))
            return redirect("moderation:risks")
    return render(
        request,
        "moderation/risk.html",
        {"form": form, "current": current, "history": history},
        status=400 if form.is_bound and form.errors else 200,
    )


def transparency(request):
    """The public transparency page: figures stored by the `refresh_transparency` job."""
    return render(
        request,
        "moderation/transparency.html",
        {"quarters": selectors.transparency_quarters(), "k": village("TRANSPARENCY_MIN_COUNT")},
    )


def report_illegal(request):
    """How to report illegal content, in plain words: open to everyone, linked from every page."""
    return render(request, "moderation/report_illegal.html")


@login_required
@limit_posts("complaint")
def complaint(request):
    about = request.GET.get("about")
    initial = {"about": about} if about in Complaint.About.values else None
    form = ComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_submit(
                user=request.user, about=form.cleaned_data["about"], text=form.cleaned_data["text"]
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Thank you. We've got your complaint and will reply within 14 days.")
            )
            return redirect("moderation:complaint_mine")
    return render(request, "moderation/complaint.html", {"form": form})


@login_required
def complaint_mine(request):
    complaints = selectors.complaints_by(request.user)
    return render(request, "moderation/complaint_mine.html", {"complaints": complaints})


@login_required
def complaint_list(request):
    require_site(request.user, Action.VIEW_MODERATION_FIGURES)
    complaints = selectors.complaint_list()
    return render(request, "moderation/complaint_list.html", {"complaints": complaints})


@login_required
@limit_posts("moderate")
def complaint_detail(request, pk: int):
    require_site(request.user, Action.VIEW_MODERATION_FIGURES)
    item = selectors.complaint_get(pk)
    form = ComplaintUpdateForm(
        request.POST or None, initial={"status": item.status, "outcome": item.outcome}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_update(
                actor=request.user,
                complaint_id=pk,
                status=form.cleaned_data["status"],
                outcome=form.cleaned_data["outcome"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved. The member has been told."))
            return redirect("moderation:complaint_list")
    return render(request, "moderation/complaint_detail.html", {"item": item, "form": form})


# --- decisions and appeals --------------------------------------------------------------------


@login_required
def my_decisions(request):
    return render(
        request,
        "moderation/my_decisions.html",
        {"decisions": selectors.decisions_about(request.user)},
    )


@login_required
@limit_posts("appeal")
def decision(request, pk: int):
    action, appeal = selectors.decision_for(request.user, action_id=pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_submit(
                user=request.user, action_id=action.pk, text=form.cleaned_data["text"]
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thank you, we've got your appeal."))
            return redirect("moderation:decision", pk=action.pk)
    return render(
        request,
        "moderation/decision.html",
        {"action": action, "appeal": appeal, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@limit_posts("moderate")
def appeal(request, pk: int):
    require_site(request.user, Action.DECIDE_APPEAL)
    item = selectors.appeal_get(pk)
    form = AppealDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_decide(
                actor=request.user,
                appeal_id=pk,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Decided. The member has been told."))
            return redirect("moderation:queue")
    return render(
        request,
        "moderation/appeal.html",
        {"appeal": item, "form": form, "own": item.action.actor_id == request.user.pk},
        status=400 if request.method == "POST" else 200,
    )


# --- audit log, watch lists, helplines, figures ------------------------------------------------


@login_required
def audit_log(request):
    require_site(request.user, Action.VIEW_AUDIT_LOG)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.audit_page(
        event=filters.get("event") or "",
        group_id=filters.get("group"),
        who=filters.get("who") or "",
        case_id=filters.get("item"),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "moderation/audit.html",
        {"form": form, "page": page, "filters_qs": keep.urlencode()},
    )


@login_required
def watchlist(request):
    require_site(request.user, Action.MANAGE_WATCHLIST)
    term_form = WatchTermForm(request.POST if "add_term" in request.POST else None)
    phrase_form = CrisisPhraseForm(request.POST if "add_phrase" in request.POST else None)
    status = 200
    if request.method == "POST":
        try:
            if "add_term" in request.POST and term_form.is_valid():
                services.watch_term_add(actor=request.user, **term_form.cleaned_data)
                messages.success(request, _("Added to the watch list."))
                return redirect("moderation:watchlist")
            if "add_phrase" in request.POST and phrase_form.is_valid():
                services.crisis_phrase_add(actor=request.user, **phrase_form.cleaned_data)
                messages.success(request, _("Added to the crisis phrases."))
                return redirect("moderation:watchlist")
            if "remove_term" in request.POST:
                services.watch_term_remove(
                    actor=request.user, term_id=int(request.POST["remove_term"])
                )
                messages.success(request, _("Removed from the watch list."))
                return redirect("moderation:watchlist")
            if "remove_phrase" in request.POST:
                services.crisis_phrase_remove(
                    actor=request.user, phrase_id=int(request.POST["remove_phrase"])
                )
                messages.success(request, _("Removed from the crisis phrases."))
                return redirect("moderation:watchlist")
        except ModerationError as exc:
            form = term_form if "add_term" in request.POST else phrase_form
            form.add_error(None, exc.message)
        except ValueError:
            messages.error(request, _("Something went wrong. Please try again."))
        status = 400
    return render(
        request,
        "moderation/watchlist.html",
        {
            "terms": selectors.watch_terms(),
            "phrases": selectors.crisis_phrases(),
            "term_form": term_form,
            "phrase_form": phrase_form,
        },
        status=status,
    )


@login_required
def helplines(request):
    require_site(request.user, Action.EDIT_HELPLINES)
    return render(request, "moderation/helplines.html", {"helplines": selectors.helplines_all()})


@login_required
def helpline_edit(request, pk: int | None = None):
    require_site(request.user, Action.EDIT_HELPLINES)
    instance = selectors.helpline_get(pk) if pk else None
    form = HelplineForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.helpline_save(actor=request.user, helpline=form.save(commit=False))
        messages.success(request, _("Saved. The support panel shows it straight away."))
        return redirect("moderation:helplines")
    return render(request, "moderation/helpline_edit.html", {"form": form, "item": instance})


@login_required
def figures(request):
    require_site(request.user, Action.VIEW_MODERATION_FIGURES)
    from directory.selectors import referral_figures

    return render(request, "moderation/figures.html", {
        "figures": selectors.moderation_figures(), "referrals": referral_figures(),
    })


# --- closed accounts: appeal and complain without logging in ---------------------------------


@limit_posts("closed_account")
def closed_account(request, token: str):
    """A closed (site-banned) account's one page, reached from the personal link in their
    letter: read the decisions, appeal each once, complain and see the answers. Nothing else."""
    from . import closed

    user = closed.user_for(token)
    if user is None:
        return render(request, "moderation/closed_invalid.html", status=404)
    decisions = selectors.decisions_about(user)
    posted = request.POST.get("form") if request.method == "POST" else None
    appeal_forms = {}
    for action in decisions:
        if action.is_appealable and not hasattr(action, "appeal") and not action.reversed_at:
            bound = posted == "appeal" and request.POST.get("action_id") == str(action.pk)
            appeal_forms[action.pk] = AppealForm(
                request.POST if bound else None, prefix=f"appeal{action.pk}"
            )
    complaint_form = ComplaintForm(
        request.POST if posted == "complaint" else None, prefix="complaint"
    )
    failed = False
    if posted == "appeal":
        form = appeal_forms.get(_int_or_none(request.POST.get("action_id")))
        if form is not None and form.is_valid():
            try:
                services.appeal_submit(
                    user=user,
                    action_id=int(request.POST["action_id"]),
                    text=form.cleaned_data["text"],
                )
            except ModerationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Thank you, we've got your appeal."))
                return redirect("moderation:closed", token=token)
        failed = True
    elif posted == "complaint":
        if complaint_form.is_valid():
            try:
                services.complaint_submit(
                    user=user,
                    about=complaint_form.cleaned_data["about"],
                    text=complaint_form.cleaned_data["text"],
                )
            except ModerationError as exc:
                complaint_form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("Thank you. We've got your complaint and will reply within 14 days.")
                )
                return redirect("moderation:closed", token=token)
        failed = True
    context = {
        "person": user,
        "decisions": [(a, appeal_forms.get(a.pk)) for a in decisions],
        "complaint_form": complaint_form,
        "complaints": selectors.complaints_by(user),
    }
    return render(request, "moderation/closed.html", context, status=400 if failed else 200)


@require_POST
@limit_posts("closed_resend")
def closed_account_resend(request):
    """From the "account inactive" page: email the personal link again (same answer always)."""
    from . import closed

    closed.resend_link(request.POST.get("email", ""))
    return render(request, "moderation/closed_resent.html")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the rota, "I've got this", a facilitator's hours and time away ------------------------------


def _safe_next(request, fallback: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return fallback


@login_required
@require_POST
@limit_posts("moderate")
def acknowledge(request, pk: int):
    """One tap from the queue, the item's page or the alert's email link (which opens the
    queue at the item: a link alone never acknowledges, so a mail scanner can't)."""
    _require_queue(request.user)
    selectors.access_case(request.user, case_id=pk)
    fallback = reverse("moderation:queue") + f"#case-{pk}"
    try:
        case = services.alert_acknowledge(actor=request.user, case_id=pk)
    except ModerationError as exc:
        messages.error(request, exc.message)
    else:
        words = _("Thank you: it's yours. Everyone can see you've got it, and the reminders stop.")
        if case.acknowledged_on_duty is False:
            words += " " + _("You're not on duty right now; that's fine, and it's recorded.")
        messages.success(request, words)
    return redirect(_safe_next(request, fallback))


def _rota_page(request, *, shift_form=None, change_form=None, status=200):
    from .forms import RotaChangeForm, ShiftForm

    context = {
        **selectors.rota_week(),
        "may_edit": can_site(request.user, Action.EDIT_ROTA),
        "shift_form": shift_form or ShiftForm(auto_id="shift_%s"),
        "change_form": change_form or RotaChangeForm(auto_id="change_%s"),
    }
    return render(request, "moderation/rota.html", context, status=status)


@login_required
def rota(request):
    require_site(request.user, Action.VIEW_ROTA)
    return _rota_page(request)


def _rota_done(request, warnings, words):
    messages.success(request, words)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("moderation:rota")


@login_required
@require_POST
def rota_shift_add(request):
    from .forms import ShiftForm

    require_site(request.user, Action.EDIT_ROTA)
    form = ShiftForm(request.POST, auto_id="shift_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            _shift, warnings = services.shift_add(
                actor=request.user,
                person_id=data["person"].pk,
                weekday=data["weekday"],
                starts=data["starts"],
                ends=data["ends"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            return _rota_done(request, warnings, _("Shift added."))
    return _rota_page(request, shift_form=form, status=400)


@login_required
@require_POST
def rota_shift_remove(request, pk: int):
    require_site(request.user, Action.EDIT_ROTA)
    try:
        warnings = services.shift_remove(actor=request.user, shift_id=pk)
    except ModerationError as exc:
        messages.error(request, exc.message)
        return redirect("moderation:rota")
    return _rota_done(request, warnings, _("Shift removed."))


@login_required
@require_POST
def rota_change_add(request):
    from .forms import RotaChangeForm

    require_site(request.user, Action.EDIT_ROTA)
    form = RotaChangeForm(request.POST, auto_id="change_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            _change, warnings = services.rota_change_add(
                actor=request.user,
                kind=data["kind"],
                person_id=data["person"].pk,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                cover_id=data["cover"].pk if data["cover"] else None,
                shift_id=data["shift"].pk if data["shift"] else None,
                leave_uncovered=data["leave_uncovered"],
            )
        except ModerationError as exc:
            form.add_error(None, exc.message)
        else:
            return _rota_done(request, warnings, _("Saved."))
    return _rota_page(request, change_form=form, status=400)


@login_required
@require_POST
def rota_change_remove(request, pk: int):
    require_site(request.user, Action.EDIT_ROTA)
    try:
        warnings = services.rota_change_remove(actor=request.user, change_id=pk)
    except ModerationError as exc:
        messages.error(request, exc.message)
        return redirect("moderation:rota")
    return _rota_done(request, warnings, _("Removed."))


def _cover_page(request, access, *, hours_form=None, away_form=None, status=200):
    from .forms import AwayForm, HoursForm

    context = {
        **selectors.cover_page(group=access.group, user=request.user),
        "group": access.group,
        "hours_form": hours_form or HoursForm(auto_id="hours_%s"),
    }
    context["away_form"] = away_form or AwayForm(
        auto_id="away_%s", co_facilitators=context["co_facilitators"]
    )
    return render(request, "moderation/cover.html", context, status=status)


@login_required
def cover(request, slug: str):
    """A facilitator's own hours for the group and their "I'm away" dates."""
    from groups import services as group_services

    from .forms import AwayForm, HoursForm

    access = access_group(request.user, slug=slug, action=Action.MARK_AWAY)
    if request.method != "POST":
        return _cover_page(request, access)
    what = request.POST.get("what")
    try:
        if what == "hours":
            form = HoursForm(request.POST, auto_id="hours_%s")
            if not form.is_valid():
                return _cover_page(request, access, hours_form=form, status=400)
            access = access_group(request.user, slug=slug, action=Action.SET_OWN_HOURS)
            services.shift_add(
                actor=request.user,
                person_id=request.user.pk,
                group=access.group,
                **form.cleaned_data,
            )
            messages.success(request, _("Your hours are saved. Members see them on the group."))
        elif what == "hours_remove":
            services.shift_remove(
                actor=request.user,
                shift_id=_int_or_none(request.POST.get("id")) or 0,
                group=access.group,
            )
            messages.success(request, _("Removed."))
        elif what == "away":
            co = selectors.cover_page(group=access.group, user=request.user)["co_facilitators"]
            form = AwayForm(request.POST, auto_id="away_%s", co_facilitators=co)
            if not form.is_valid():
                return _cover_page(request, access, away_form=form, status=400)
            data = form.cleaned_data
            ask = data["cover"] == AwayForm.ASK
            group_services.away_set(
                membership=access.membership,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                cover_user_id=None if ask else int(data["cover"]),
                ask_moderators=ask,
            )
            messages.success(
                request,
                _("Enjoy the break. We've told the moderators.")
                if ask
                else _("Enjoy the break. We've told the person covering."),
            )
        elif what == "away_remove":
            group_services.away_cancel(
                membership=access.membership, away_id=_int_or_none(request.POST.get("id")) or 0
            )
            messages.success(request, _("Removed. Welcome back."))
    except ServiceError as exc:
        if what == "away":
            form.add_error(None, exc.message)
            return _cover_page(request, access, away_form=form, status=400)
        if what == "hours":
            form.add_error(None, exc.message)
            return _cover_page(request, access, hours_form=form, status=400)
        messages.error(request, exc.message)
    return redirect("moderation:cover", slug=slug)

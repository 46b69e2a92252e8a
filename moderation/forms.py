"""Forms: parse and keep what was typed. Rules live in services."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from config.widgets import DateInput, TimeInput

from .models import (
    MAX_CASE_NOTE_CHARS,
    Appeal,
    AuditEntry,
    Complaint,
    Helpline,
    ModAction,
    Reason,
    RiskRevision,
    RotaChange,
    Shift,
    WatchTerm,
    Weekday,
)

DURATIONS = [
    ("1d", _("1 day")),
    ("3d", _("3 days")),
    ("7d", _("1 week")),
    ("30d", _("30 days")),
]
DURATION_VALUES = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What's wrong with this message?"),
        choices=Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose the reason that fits best.")},
    )
    note = forms.CharField(
        label=_("Anything else we should know? (optional)"),
        help_text=_('Needed if you chose "Something else". The author never sees who reported it.'),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConcernForm(forms.Form):
    subject = forms.TypedChoiceField(
        label=_("Who are you worried about? (optional)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    note = forms.CharField(
        label=_("What's worrying you?"),
        error_messages={
            "required": _("Please tell us what's worrying you. A few words are enough.")
        },
        help_text=_("Only the group's facilitators and Village's moderators will see this."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", _("I'd rather not say / not sure"))] + [
            (m.user_id, m.user.public_name) for m in members
        ]


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ModAction.Kind.choices)
    reason = forms.CharField(
        label=_("Reason (the member is told this)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    duration = forms.ChoiceField(label=_("For how long"), choices=DURATIONS, required=False)
    site_wide = forms.BooleanField(label=_("Ban from all of Village"), required=False)
    note = forms.CharField(
        label=_("What we did (private, optional)"),
        max_length=MAX_CASE_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def duration_value(self) -> timedelta | None:
        return DURATION_VALUES.get(self.cleaned_data.get("duration") or "")


class CaseNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Record what we did"),
        help_text=_(
            "Private: only the people who look after this item see it. The member is not told."
        ),
        error_messages={"required": _("Please write a few words about what you did.")},
        max_length=MAX_CASE_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why do you think this decision was wrong?"),
        error_messages={"required": _("Please tell us, in your own words, why it was wrong.")},
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        error_messages={"required": _("Please choose to keep or reverse the decision.")},
        choices=[
            (Appeal.Status.UPHELD, _("Keep the decision")),
            (Appeal.Status.REVERSED, _("Reverse the decision")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (the member is told this)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WatchTermForm(forms.Form):
    term = forms.CharField(
        label=_("Word or phrase"),
        error_messages={"required": _("Please type a word or phrase.")},
        max_length=100,
        help_text=_(
            "Plain words only. Capitals, extra spaces, repeated letters and look-alike numbers "
            "(0 for o, 3 for e...) are matched for you."
        ),
    )
    action = forms.ChoiceField(label=_("What happens"), choices=WatchTerm.Action.choices)
    note = forms.CharField(
        label=_("Note for moderators (optional)"), max_length=200, required=False
    )


class CrisisPhraseForm(forms.Form):
    phrase = forms.CharField(label=_("Crisis phrase"), max_length=100)


class HelplineForm(forms.ModelForm):
    class Meta:
        model = Helpline
        fields = ["name", "how", "href", "hours", "about", "order", "active"]


class ComplaintForm(forms.Form):
    about = forms.ChoiceField(
        label=_("What is your complaint about?"),
        error_messages={"required": _("Please choose what your complaint is about.")},
        choices=Complaint.About.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Tell us what happened"),
        error_messages={"required": _("Please tell us what happened. A few words are enough.")},
        help_text=_("We'll reply within 14 days and tell you the outcome."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ComplaintUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Complaint.Status.choices)
    outcome = forms.CharField(
        label=_("Outcome (the member is told this)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AuditFilterForm(forms.Form):
    event = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("", _("Everything")), *AuditEntry.Event.choices],
    )
    group = forms.IntegerField(label=_("Group number"), required=False, min_value=1)
    who = forms.CharField(
        label=_("Who (name)"),
        required=False,
        max_length=80,
        help_text=_("The person who reported, acted or appealed."),
    )
    item = forms.IntegerField(label=_("Item number"), required=False, min_value=1)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data


# --- the rota and cover -----------------------------------------------------------------------


def _moderator_choices():
    from groups.permissions import site_moderators

    return site_moderators().order_by("display_name", "pk")


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.public_name


class ShiftForm(forms.Form):
    person = _PersonChoice(
        label=_("Moderator"),
        queryset=None,
        error_messages={"required": _("Please choose who is on the shift.")},
    )
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        choices=Weekday.choices,
        error_messages={"required": _("Please choose a day of the week.")},
    )
    starts = forms.TimeField(
        label=_("From (UK time)"),
        widget=TimeInput,
        error_messages={"required": _("Please give a start time, like 09:00.")},
    )
    ends = forms.TimeField(
        label=_("Until (UK time)"),
        widget=TimeInput,
        help_text=_("An end before the start runs past midnight, e.g. 22:00 until 07:00."),
        error_messages={"required": _("Please give an end time, like 17:00.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _moderator_choices()


class HoursForm(forms.Form):
    """A facilitator's own hours for a group (the same shape as a shift, without a person)."""

    weekday = ShiftForm.base_fields["weekday"]
    starts = forms.TimeField(
        label=_("From"),
        widget=TimeInput,
        error_messages={"required": _("Please give a start time, like 19:00.")},
    )
    ends = forms.TimeField(
        label=_("Until"),
        widget=TimeInput,
        error_messages={"required": _("Please give an end time, like 21:00.")},
    )


class RotaChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What kind of change"),
        choices=RotaChange.Kind.choices,
        widget=forms.RadioSelect,
        initial=RotaChange.Kind.LEAVE,
    )
    person = _PersonChoice(
        label=_("Who is away"),
        queryset=None,
        error_messages={"required": _("Please choose who is away.")},
    )
    starts_on = forms.DateField(
        label=_("First day"),
        widget=DateInput,
        error_messages={"required": _("Please give the first day.")},
    )
    ends_on = forms.DateField(label=_("Last day (leave only)"), widget=DateInput, required=False)
    shift = forms.ModelChoiceField(
        label=_("Which shift (swap only)"), queryset=Shift.objects.none(), required=False
    )
    cover = _PersonChoice(label=_("Who covers"), queryset=None, required=False)
    leave_uncovered = forms.BooleanField(
        label=_("Leave the shifts uncovered (members are told when someone is back)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _moderator_choices()
        self.fields["cover"].queryset = _moderator_choices()
        self.fields["shift"].queryset = Shift.objects.filter(group__isnull=True).select_related(
            "person"
        )
        self.fields["shift"].label_from_instance = lambda s: (
            f"{s.person.public_name}: {s.get_weekday_display()} {s.starts:%H:%M}–{s.ends:%H:%M}"
        )


class AwayForm(forms.Form):
    starts_on = forms.DateField(
        label=_("Away from"),
        widget=DateInput,
        error_messages={"required": _("Please give the first day you're away.")},
    )
    ends_on = forms.DateField(
        label=_("Back after"),
        widget=DateInput,
        help_text=_("The last day you're away."),
        error_messages={"required": _("Please give the last day you're away.")},
    )
    cover = forms.ChoiceField(label=_("Who covers"), widget=forms.RadioSelect)

    ASK = "moderators"

    def __init__(self, *args, co_facilitators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cover"].choices = [
            (str(m.user_id), m.user.public_name) for m in co_facilitators
        ] + [(self.ASK, _("Nobody here can: ask the moderators"))]
        self.fields["cover"].error_messages["required"] = _(
            "Please choose who covers, or ask the moderators."
        )


class RiskForm(forms.Form):
    """One risk in the illegal-harms risk assessment (saving makes a new version)."""

    title = forms.CharField(label=_("The risk, in a few words"), max_length=200)
    description = forms.CharField(
        label=_("What could happen"), required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    likelihood = forms.TypedChoiceField(
        label=_("How likely is it?"), coerce=int, choices=RiskRevision.Level.choices
    )
    impact = forms.TypedChoiceField(
        label=_("How bad would it be?"), coerce=int, choices=RiskRevision.Level.choices
    )
    measures = forms.CharField(
        label=_("What we do about it"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    owner = forms.ModelChoiceField(label=_("Who owns it"), queryset=None)
    review_by = forms.DateField(
        label=_("Review by"), widget=DateInput
    )
    change_note = forms.CharField(
        label=_("What changed, and why"), required=False, max_length=300,
        help_text=_("Kept with this version in the history."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_staff=True, is_active=True).order_by("display_name")
        )
        self.fields["owner"].label_from_instance = lambda u: u.public_name

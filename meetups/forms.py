"""Forms parse input only; the rules live in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.widgets import DateInput, TimeInput
from core.privatedetails_forms import PrivateDetailsFormMixin

from .models import NudgeReply, Rsvp

REPEAT_CHOICES = [
    ("1", _("Every week")),
    ("2", _("Every 2 weeks")),
    ("3", _("Every 3 weeks")),
    ("4", _("Every 4 weeks")),
    ("0", _("Just once")),
]


class SeriesForm(forms.Form):
    title = forms.CharField(
        label=_("What's it called?"), max_length=120, initial=_("Weekly meetup"),
        help_text=_('For example "Tuesday evening chat" or "Coffee and a catch-up".'),
    )  # fmt: skip
    first_date = forms.DateField(
        label=_("First meetup"), widget=DateInput(),
        help_text=_("It repeats on the same day of the week."),
    )  # fmt: skip
    start_time = forms.TimeField(
        label=_("Starts at"), widget=TimeInput()
    )
    duration_minutes = forms.IntegerField(
        label=_("How long (minutes)"), initial=90, min_value=-100000, max_value=100000
    )
    repeat = forms.ChoiceField(label=_("How often"), choices=REPEAT_CHOICES, initial="1")
    ends_on = forms.DateField(
        label=_("Last meetup (optional)"), required=False,
        widget=DateInput(),
        help_text=_("Leave empty to keep going."),
    )  # fmt: skip
    venue_name = forms.CharField(label=_("Venue"), max_length=120, required=False,
                                 help_text=_('e.g. "Brierley Hill Family Hub"'))  # fmt: skip
    venue_address = forms.CharField(label=_("Address"), max_length=300, required=False)
    accessibility_notes = forms.CharField(
        label=_("Access"), max_length=300, required=False,
        help_text=_("Step-free? Space for buggies? A crèche? Say what helps people come."),
    )  # fmt: skip
    online_url = forms.URLField(label=_("Online joining link (optional)"), required=False,
                                assume_scheme="https")  # fmt: skip
    capacity = forms.IntegerField(
        label=_("Places (optional)"), required=False, min_value=-100000, max_value=100000,
        help_text=_("Leave empty if there's no limit. When it's full, people join a waiting list."),
    )  # fmt: skip
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, required=False,
                                widget=forms.HiddenInput)  # fmt: skip
    reminders_24h = forms.BooleanField(
        label=_("Send a reminder the day before"), required=False, initial=True
    )
    reminders_2h = forms.BooleanField(
        label=_("Send a reminder two hours before"), required=False, initial=True
    )

    def clean(self):
        data = super().clean()
        if not (data.get("venue_name") or data.get("venue_address") or data.get("online_url")):
            raise ValidationError(_("Please say where: a venue, an online link, or both."))
        return data


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=Rsvp.Answer.choices)
    message = forms.CharField(
        label=_("A message for the facilitator (optional)"), max_length=300, required=False,
        help_text=_('e.g. "Poorly child, hope to see you next week"'),
    )  # fmt: skip


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why? (members will see this)"), max_length=300, required=False,
        help_text=_('e.g. "The hall is closed for repairs"'),
    )  # fmt: skip


class MoveForm(forms.Form):
    on = forms.DateField(label=_("New date"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("New start time"), widget=TimeInput()
    )
    venue_name = forms.CharField(label=_("Venue"), max_length=120, required=False)
    venue_address = forms.CharField(label=_("Address"), max_length=300, required=False)


class NoteForm(PrivateDetailsFormMixin, forms.Form):
    private_details_fields = ("note",)
    private_details_audience = "notes"

    note = forms.CharField(
        label=_("A note for this week"), max_length=500, required=False,
        help_text=_('e.g. "Bring a packed lunch". Members who are coming are told.'),
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    personal_line = forms.CharField(
        label=_('Your own line for "we missed you" messages (optional)'), max_length=300,
        required=False, help_text=_('e.g. "We had a lovely chat about sleep - come and tell us '
                                    'how yours is going."'),
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("The code the facilitator is showing"), max_length=12)


class WalkInForm(forms.Form):
    name = forms.CharField(label=_("Their first name or a nickname"), max_length=60)


class NudgeReplyForm(forms.Form):
    answer = forms.ChoiceField(choices=NudgeReply.Choice.choices)


class SettingsForm(forms.Form):
    nudges = forms.BooleanField(
        label=_('Send me a "we missed you" message if I miss a meetup'), required=False
    )


class SeriesEditForm(forms.Form):
    """Change every week from now on (weeks changed by hand keep their own details)."""

    title = forms.CharField(label=_("What's it called?"), max_length=120)
    start_time = forms.TimeField(
        label=_("Starts at"), widget=TimeInput()
    )
    duration_minutes = forms.IntegerField(
        label=_("How long (minutes)"), min_value=-100000, max_value=100000
    )
    ends_on = forms.DateField(
        label=_("Last meetup (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to keep going."),
    )
    venue_name = forms.CharField(label=_("Venue"), max_length=120, required=False)
    venue_address = forms.CharField(label=_("Address"), max_length=300, required=False)
    accessibility_notes = forms.CharField(label=_("Access"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online joining link (optional)"), required=False, assume_scheme="https"
    )
    capacity = forms.IntegerField(
        label=_("Places (optional)"), required=False, min_value=-100000, max_value=100000
    )
    reminders_24h = forms.BooleanField(label=_("Send a reminder the day before"), required=False)
    reminders_2h = forms.BooleanField(label=_("Send a reminder two hours before"), required=False)

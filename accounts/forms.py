"""Forms for sign-up and the member's own profile. Writes happen in services, not here."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import privatedetails
from core.privatedetails_forms import PrivateDetailsFormMixin

from .models import validate_time_zone
from .names import clean_display_name

# Most members are in the UK; these are offered first, then a few common others.
COMMON_TIME_ZONES = [
    ("Europe/London", _("UK (London)")),
    ("Europe/Dublin", _("Ireland (Dublin)")),
    ("Europe/Paris", _("Central Europe (Paris, Berlin, Madrid)")),
    ("Europe/Athens", _("Eastern Europe (Athens, Bucharest)")),
    ("Atlantic/Canary", _("Canary Islands")),
    ("America/New_York", _("US Eastern (New York)")),
    ("America/Chicago", _("US Central (Chicago)")),
    ("America/Los_Angeles", _("US Pacific (Los Angeles)")),
    ("Asia/Karachi", _("Pakistan (Karachi)")),
    ("Asia/Kolkata", _("India (Kolkata)")),
    ("Asia/Dubai", _("Gulf (Dubai)")),
    ("Australia/Sydney", _("Australia (Sydney)")),
    ("UTC", _("UTC")),
]


class LoginForm(AllauthLoginForm):
    """allauth's log-in form without the password's help text: the page puts its own
    "Forgotten your password?" link under the form, so there is nothing to describe it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form plus the name other members will see."""

    display_name = forms.CharField(
        label=_("Your name in Village"),
        max_length=60,
        help_text=_("Other members see this name. A first name or a nickname is fine."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    field_order = ["display_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Your email address")
        self.fields["email"].help_text = _(
            "We send a link to check it's you. Other members never see it."
        )
        self.fields["email"].widget.attrs.pop("placeholder", None)
        for name in ("password1", "password2"):
            if name in self.fields:
                self.fields[name].widget.attrs.pop("placeholder", None)
        if "password1" in self.fields:
            self.fields["password1"].label = _("Choose a password")
            self.fields["password1"].help_text = _(
                "At least 8 characters. Not just numbers, and not a common password."
            )
        if "password2" in self.fields:
            self.fields["password2"].label = _("Type the password again")
        # The current terms, if any are published: agreeing is part of signing up.
        from .selectors import current_terms_version

        self.terms_version = current_terms_version()
        if self.terms_version:
            self.fields["accept_terms"] = forms.BooleanField(
                label=_("I agree to Village's terms of service and house rules"),
                help_text=format_html(
                    '<a href="{}" target="_blank">{}</a>',
                    reverse("terms:page"),
                    _("Read the terms and house rules (opens in a new tab)"),
                ),
                error_messages={
                    "required": _("Please read the terms and tick the box to say you agree.")
                },
            )

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])


class ProfileForm(PrivateDetailsFormMixin, forms.Form):
    private_details_fields = ("about",)
    private_details_audience = "profile"

    display_name = forms.CharField(
        label=_("Your name in Village"),
        max_length=60,
        help_text=_("The only name other members see. A nickname is fine."),
    )
    about = forms.CharField(
        label=_("About me"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. A line or two for your groups, up to 500 characters."),
    )
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        help_text=_("Meetup times and reminders are shown in this time zone."),
    )

    def __init__(self, *args, current_time_zone: str = "Europe/London", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = list(COMMON_TIME_ZONES)
        if current_time_zone and current_time_zone not in {c for c, _label in choices}:
            choices.append((current_time_zone, current_time_zone))
        self.fields["time_zone"].choices = choices

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        validate_time_zone(value)
        return value


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("So we know it's really you."),
    )


class PrivateDetailsForm(forms.Form):
    """Which personal details Village asks about before the member shares them."""

    ask = forms.MultipleChoiceField(
        label=_("Ask me first before I share"),
        choices=privatedetails.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

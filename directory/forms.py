from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.widgets import TimeInput

from . import text
from .selectors import Filters


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("What are you looking for?"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. food bank, sleep")}),
    )
    need = forms.TypedChoiceField(label=_("Help with"), required=False, coerce=int,
                                  empty_value=None)
    age = forms.IntegerField(
        label=_("Your child's age"), required=False, min_value=0, max_value=25,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"min_value": _("Please give an age from 0 to 25."),
                        "max_value": _("Please give an age from 0 to 25."),
                        "invalid": _("Please give the age as a number, like 3.")},
    )
    day = forms.ChoiceField(label=_("Open on"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", _("Anything"))] + [(t.pk, t.term) for t in needs]
        self.fields["day"].choices = [("", _("Any day"))] + list(text.day_names().items())

    def filters(self) -> Filters:
        """The valid filters; a field with a mistake is left out (and shown with its error)."""
        if not self.is_bound:
            return Filters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return Filters(
            q=(data.get("q") or "").strip(),
            need=data.get("need"),
            age=data.get("age"),
            day=data.get("day") or "",
            open_now=bool(data.get("open_now")),
        )


class LocalEntryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    description = forms.CharField(
        label=_("What it is, in a sentence or two"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=50,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.EmailField(label=_("Email for referrals"), required=False,
                             help_text=_("Referrals that members agree to are sent here."))
    url = forms.URLField(label=_("Website"), required=False, max_length=500, assume_scheme="https")
    address = forms.CharField(label=_("Address"), required=False, max_length=255)
    postal_code = forms.CharField(label=_("Postcode"), required=False, max_length=20)
    minimum_age = forms.IntegerField(label=_("Youngest age"), required=False, min_value=0,
                                     max_value=120)
    maximum_age = forms.IntegerField(label=_("Oldest age"), required=False, min_value=0,
                                     max_value=120)
    days = forms.MultipleChoiceField(label=_("Open on"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    opens_at = forms.TimeField(label=_("Opens at"), required=False,
                               widget=TimeInput())
    closes_at = forms.TimeField(label=_("Closes at"), required=False,
                                widget=TimeInput())
    fees = forms.CharField(label=_("Cost"), required=False, max_length=255,
                           help_text=_('For example "Free" or "£2 a session".'))
    needs = forms.TypedMultipleChoiceField(label=_("Helps with"), required=False, coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    share_with_everyone = forms.BooleanField(
        label=_("Ask a moderator to share this with everyone on Village"), required=False)

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = list(text.day_names().items())
        self.fields["needs"].choices = [(t.pk, t.term) for t in needs]

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if bool(opens) != bool(closes):
            raise forms.ValidationError(_("Please give both the opening and closing time."))
        if opens and closes and opens >= closes:
            self.add_error("closes_at", _("It should close after it opens."))
        low, high = data.get("minimum_age"), data.get("maximum_age")
        if low is not None and high is not None and low > high:
            self.add_error("maximum_age", _("The oldest age should be at least the youngest."))
        return data

    def entry(self):
        from .services import LocalEntry

        d = self.cleaned_data
        return LocalEntry(
            name=d["name"], description=d["description"], phone=d["phone"], email=d["email"],
            url=d["url"], address=d["address"], postal_code=d["postal_code"],
            minimum_age=d["minimum_age"], maximum_age=d["maximum_age"],
            days=tuple(c for c in text.DAYS if c in d["days"]), opens_at=d["opens_at"],
            closes_at=d["closes_at"], fees=d["fees"], need_ids=tuple(d["needs"]),
            share_with_everyone=d["share_with_everyone"],
        )


class ConsentForm(forms.Form):
    shared_name = forms.CharField(label=_("Your name"), max_length=150)
    shared_contact = forms.CharField(
        label=_("How they can contact you"), max_length=255,
        help_text=_("A phone number or email address. Only this service will see it."),
    )
    note = forms.CharField(
        label=_("A short note in your own words (optional)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[
        ("received", _("We've received it")),
        ("in_touch", _("We've been in touch")),
        ("helped", _("Closed: we helped")),
        ("not_right", _("Closed: we're not the right service")),
    ])
    suggestion = forms.CharField(required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 3}))

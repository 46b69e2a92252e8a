from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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

    def __init__(self, *args, needs, **kwargs):
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

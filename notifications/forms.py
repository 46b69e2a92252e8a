"""The quiet hours form. Saving happens in services, not here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.widgets import TimeInput

TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]


class QuietHoursForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Hold my emails during quiet hours"),
        required=False,
    )
    start = forms.TimeField(
        label=_("Quiet from"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=TimeInput(),
        error_messages={"invalid": _("Please give a time like 21:00.")},
    )
    end = forms.TimeField(
        label=_("Until"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=TimeInput(),
        error_messages={"invalid": _("Please give a time like 08:00.")},
    )

    def clean(self):
        data = super().clean()
        if not data.get("enabled"):
            return data
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None:
            self.add_error("start", _("Please say when your quiet hours start."))
        if end is None:
            self.add_error("end", _("Please say when your quiet hours end."))
        if start is not None and start == end:
            self.add_error("end", _("Please choose an end time different from the start."))
        return data

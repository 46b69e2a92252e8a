"""Form widgets every app uses for dates and times.

Browsers only accept ISO values in date and time inputs (``YYYY-MM-DD``, ``HH:MM``). Django's
own DateInput and TimeInput render the active locale's first input format instead (08/12/2026
in en-GB), which a browser rejects and shows as an empty field. The fields still accept ISO
input whatever the locale, so these widgets fix the format and the input type together.
"""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 (Django's own name)
        super().__init__(attrs, format=format)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, format="%H:%M"):  # noqa: A002
        super().__init__(attrs, format=format)

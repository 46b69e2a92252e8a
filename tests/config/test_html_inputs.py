"""Date and time inputs carry ISO values (what browsers accept), whatever the locale's order.

A UK-ordered value (08/12/2026) in <input type="date"> is rejected by browsers, which then show
an empty field: "Change one meetup" used to blank its own date.
"""

import datetime as dt
import importlib
import inspect
import re

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils import translation

from config.widgets import DateInput, TimeInput

# Village's own apps (not Django's or allauth's, even when the virtualenv is inside the checkout).
PROJECT_APPS = [
    a
    for a in apps.get_app_configs()
    if a.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in a.path
]


def project_forms():
    found = []
    for app in PROJECT_APPS:
        try:
            module = importlib.import_module(f"{app.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def date_and_time_fields():
    for form in project_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField | forms.TimeField | forms.DateTimeField):
                yield pytest.param(form, name, field, id=f"{form.__name__}.{name}")


FIELDS = list(date_and_time_fields())


def test_the_forms_with_dates_and_times_are_all_found():
    names = {p.id for p in FIELDS}
    assert {
        "SeriesForm.first_date",
        "SeriesForm.start_time",
        "SeriesForm.ends_on",
        "MoveForm.on",
        "MoveForm.start_time",
        "SeriesEditForm.start_time",
        "SeriesEditForm.ends_on",
        "AuditFilterForm.since",
        "AuditFilterForm.until",
    } <= names


@pytest.mark.parametrize("form, name, field", FIELDS)
def test_every_date_and_time_input_renders_an_iso_value(form, name, field):
    assert not isinstance(field, forms.DateTimeField), "no datetime-local inputs expected"
    value = dt.date(2026, 12, 8) if isinstance(field, forms.DateField) else dt.time(9, 5)
    with translation.override("en-gb"):
        html = form(initial={name: value})[name].as_widget()
    if isinstance(field, forms.DateField):
        assert isinstance(field.widget, DateInput)
        assert 'type="date"' in html and 'value="2026-12-08"' in html, html
    else:
        assert isinstance(field.widget, TimeInput)
        assert 'type="time"' in html and 'value="09:05"' in html, html


@pytest.mark.parametrize("form, name, field", FIELDS)
def test_iso_values_are_read_back(form, name, field):
    value = "2026-12-08" if isinstance(field, forms.DateField) else "09:05"
    with translation.override("en-gb"):
        assert field.clean(value) in (dt.date(2026, 12, 8), dt.time(9, 5))


def test_change_one_meetup_keeps_its_own_date_and_time(client, db):
    from meetups import services
    from tests.factories import GroupFactory, MembershipFactory

    group = GroupFactory(time_zone="Europe/London")
    fac = MembershipFactory(group=group, role="facilitator").user
    occ = services.one_off_create(
        group=group, by=fac, title="Coffee", on=dt.date(2030, 12, 8), start_time=dt.time(9, 5),
        duration_minutes=60, place=services.Place(venue_name="Family Hub"),
    )  # fmt: skip
    client.force_login(fac)
    page = client.get(f"/groups/{group.slug}/meetups/{occ.pk}/change/").content.decode()
    assert re.search(r'<input type="date" name="on" value="2030-12-08"', page), page
    assert re.search(r'<input type="time" name="start_time" value="09:05"', page), page


"""aria-describedby only points at ids that are in the page.

Django adds aria-describedby="<id>_helptext" to a field with help text and "<id>_error" to a
field with errors; the field templates must render the help text and the error list with
exactly those ids (and a page must not hide help text a field still points at).
"""

import pytest
from django import forms
from django.template.loader import render_to_string

from tests.htmlrefs import dangling_describedby

FIELD_TEMPLATES = [
    "accounts/_field.html",
    "meetups/_field.html",
    "moderation/_field.html",
]


class HelpedForm(forms.Form):
    name = forms.CharField(help_text="Something kind", max_length=5)
    note = forms.CharField(widget=forms.Textarea, help_text="More", required=True)
    agree = forms.BooleanField(help_text="Tick it", required=True)


@pytest.mark.parametrize("template", FIELD_TEMPLATES)
@pytest.mark.parametrize("bound", [False, True], ids=["fresh", "with-errors"])
def test_field_templates_render_what_aria_describedby_points_at(template, bound):
    form = HelpedForm({"name": "far too long"} if bound else None)
    if bound:
        assert not form.is_valid()
    html = "".join(render_to_string(template, {"field": field}) for field in form)
    assert "aria-describedby" in html
    assert dangling_describedby(html) == []


def test_the_check_itself_finds_a_dangling_reference():
    assert dangling_describedby('<input aria-describedby="x y"><p id="x"></p>') == [
        "<input name=None> -> #y"
    ]


def test_log_in_page(client, db):
    assert dangling_describedby(client.get("/accounts/login/").content.decode()) == []
    bad = client.post("/accounts/login/", {"login": "nobody@example.com", "password": "nope"})
    assert dangling_describedby(bad.content.decode()) == []


def test_edit_group_page(client, group, facilitator):
    client.force_login(facilitator)
    url = f"/groups/{group.slug}/edit/"
    html = client.get(url).content.decode()
    assert "aria-describedby" in html
    assert dangling_describedby(html) == []
    html = client.post(url, {"name": ""}).content.decode()
    assert dangling_describedby(html) == []


@pytest.mark.parametrize("path", ["/moderation/complaint/", "/moderation/concern/{slug}/"])
def test_moderation_forms(client, group, member, path):
    client.force_login(member)
    url = path.format(slug=group.slug)
    html = client.get(url).content.decode()
    assert "aria-describedby" in html
    assert dangling_describedby(html) == []
    assert dangling_describedby(client.post(url, {}).content.decode()) == []

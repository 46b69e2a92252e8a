"""The admin is usable for staff for every registered model: each list opens, searches, and
its add page (where adding is allowed) opens. Every accounts and groups model (issue 2) must be
registered; other apps' unregistered models are printed (-s) for their owners to decide."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

PROJECT_APPS = ["accounts", "groups", "chat", "meetups", "moderation", "notifications"]


def _registered():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


@pytest.mark.parametrize(
    "model,model_admin", _registered(), ids=[m._meta.label for m, _ in _registered()]
)
def test_admin_list_search_and_add_open(admin_client, model, model_admin):
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    if model_admin.search_fields:
        assert admin_client.get(changelist, {"q": "parents"}).status_code == 200
    add = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    assert add.status_code in (200, 403)  # 403: adding is switched off on purpose


def test_every_project_model_is_in_the_admin_or_knowingly_left_out():
    missing = sorted(
        f"{m._meta.app_label}.{m.__name__}"
        for label in PROJECT_APPS
        for m in apps.get_app_config(label).get_models()
        if not admin.site.is_registered(m)
    )
    print("not in the admin:", missing)
    # accounts and groups (issue 2) have every model in the admin.
    assert not [m for m in missing if m.split(".")[0] in ("accounts", "groups")]

"""Every allauth page a member can reach wears Village's layout, and accounts stays at the
bottom of the dependency graph."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/confirm-email/",
    ],
)
def test_entrance_pages_use_the_village_layout(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header' in html
    assert "page-auth" in html
    assert "Sign In" not in html  # allauth's own wording is replaced by ours


@pytest.mark.parametrize(
    "path",
    ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/logout/"],
)
def test_account_management_pages_use_the_village_layout(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    assert 'class="site-header' in response.content.decode()


def test_profile_page_query_count_is_constant(client, user, django_assert_num_queries):
    from notifications.services import notify

    client.force_login(user)
    client.get("/me/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/me/")
    notify(user_ids=[user.pk], kind="mention", title="x", email=False)
    from notifications.services import preferences_set

    preferences_set(user=user, email_on=["mention"])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get("/me/")


def test_accounts_never_imports_the_apps_above_it():
    higher = {"groups", "chat", "meetups", "moderation", "notifications"}
    bad = []
    for path in (ROOT / "accounts").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in higher]
    assert not bad, bad


def test_log_in_and_out_messages_are_warm_and_never_show_the_email(client, db):
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    user = UserFactory(display_name="Rosie", email="rosie-private@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "village-test"}, follow=True
    )
    said = " ".join(str(m) for m in response.context["messages"])
    assert "Hello, Rosie. You’re logged in." in said and "@" not in said
    response = client.post("/accounts/logout/", follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert "You've logged out." in said

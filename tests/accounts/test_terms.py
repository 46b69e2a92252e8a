"""Versioned terms and house rules: agreed at sign-up, asked again plainly when they change,
each acceptance recorded; a version with no text is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import selectors, services
from accounts.models import TermsAcceptance, TermsVersion, User
from tests.factories import UserFactory

from .test_signup import PASSWORD

pytestmark = pytest.mark.django_db

TEXT = "1. Be kind.\n2. We keep your data safe."


def _signup(client, **extra):
    data = {
        "display_name": "Sam", "email": "sam@example.com",
        "password1": PASSWORD, "password2": PASSWORD, **extra,
    }  # fmt: skip
    return client.post("/accounts/signup/", data)


def test_a_version_with_no_text_is_refused_and_nothing_changes():
    with pytest.raises(services.TermsError) as exc:
        services.terms_publish(text="   \n ")
    assert exc.value.code == "no_text" and "can't be empty" in exc.value.message
    assert not TermsVersion.objects.exists()


def test_the_database_refuses_empty_text_too():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        TermsVersion.objects.create(version=1, text="")


def test_versions_count_up_and_the_latest_published_is_current():
    one = services.terms_publish(text=TEXT)
    two = services.terms_publish(text=TEXT + "\n3. New.", summary="A rule about photos.")
    services.terms_publish(text="future", published_at=timezone.now() + timedelta(days=3))
    assert (one.version, two.version) == (1, 2)
    assert selectors.current_terms() == two


def test_with_no_terms_published_signup_is_as_before(client):
    page = client.get("/accounts/signup/").content.decode()
    assert 'name="accept_terms"' not in page
    assert _signup(client).status_code == 302
    assert User.objects.get().terms_version == 0


def test_signup_needs_the_box_ticked_and_keeps_what_was_typed(client):
    services.terms_publish(text=TEXT)
    page = client.get("/accounts/signup/").content.decode()
    assert 'name="accept_terms"' in page and 'href="/terms/"' in page
    r = _signup(client)
    html = r.content.decode()
    assert r.status_code == 200
    assert "Please read the terms and tick the box to say you agree." in html
    assert 'value="sam@example.com"' in html
    assert not User.objects.exists()


def test_signup_records_the_accepted_version(client):
    services.terms_publish(text=TEXT)
    v2 = services.terms_publish(text=TEXT + " v2")
    assert _signup(client, accept_terms="on").status_code == 302
    user = User.objects.get()
    assert user.terms_version == 2
    assert list(TermsAcceptance.objects.values_list("user", "terms")) == [(user.pk, v2.pk)]


def test_a_change_asks_members_again_then_lets_them_carry_on(client):
    services.terms_publish(text=TEXT)
    member = UserFactory()
    services.terms_accept(user=member, version=1)
    client.force_login(member)
    assert client.get("/me/").status_code == 200

    services.terms_publish(text=TEXT + "\n3. No photos of other people's children.",
                           summary="A new rule about photos.")  # fmt: skip
    r = client.get("/me/?tab=1")
    assert r.status_code == 302 and r["Location"] == "/terms/accept/?next=%2Fme%2F%3Ftab%3D1"
    page = client.get(r["Location"]).content.decode()
    assert "We've updated our terms and house rules" in page
    assert "A new rule about photos." in page and "No photos of other" in page

    # Not ticked: said plainly, nothing recorded.
    r = client.post("/terms/accept/", {"version": 2, "next": "/me/?tab=1"})
    assert r.status_code == 400 and "tick the box" in r.content.decode()
    assert User.objects.get(pk=member.pk).terms_version == 1

    r = client.post("/terms/accept/", {"version": 2, "next": "/me/?tab=1", "agree": "yes"})
    assert r.status_code == 302 and r["Location"] == "/me/?tab=1"
    assert User.objects.get(pk=member.pk).terms_version == 2
    assert TermsAcceptance.objects.filter(user=member).count() == 2
    assert client.get("/me/").status_code == 200
    exported = client.get("/me/export/").json()["accounts"]["terms_accepted"]
    assert [a["version"] for a in exported] == [1, 2]


def test_what_is_never_sent_to_the_accept_page(client):
    services.terms_publish(text=TEXT)
    member = UserFactory()  # has accepted nothing
    client.force_login(member)
    assert client.get("/me/")["Location"].startswith("/terms/accept/")
    # The terms themselves, posts, scripts' fetches, one-tap links and logging out go through.
    assert client.get("/terms/").status_code == 200
    assert client.post("/me/", {"display_name": "Sam", "time_zone": "UTC"}).status_code == 302
    fetch = client.get("/me/", headers={"Sec-Fetch-Mode": "cors"})
    assert fetch.status_code == 200
    assert client.get("/notifications/unsubscribe/not-a-token/").status_code != 302 or (
        "/terms/" not in client.get("/notifications/unsubscribe/not-a-token/")["Location"]
    )
    assert client.get("/healthz").status_code == 200


def test_the_accept_page_refuses_stale_versions_and_foreign_next(client):
    services.terms_publish(text=TEXT)
    member = UserFactory()
    client.force_login(member)
    r = client.post("/terms/accept/", {"version": 7, "agree": "yes"})
    assert r.status_code == 400 and "changed since the page opened" in r.content.decode()
    r = client.post("/terms/accept/", {"version": 1, "agree": "yes", "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"


def test_the_terms_check_costs_no_query_on_a_page(client):
    """The current version is read with the session's member (accounts.backends)."""
    services.terms_publish(text=TEXT)
    member = UserFactory()
    services.terms_accept(user=member, version=1)
    client.force_login(member)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        assert client.get("/me/").status_code == 200
    assert not any("accounts_termsversion" in q["sql"] and "accounts_user" not in q["sql"]
                   for q in page.captured_queries)  # fmt: skip


def test_the_public_page_shows_the_current_version(client):
    services.terms_publish(text="Old words")
    services.terms_publish(text="Current words", house_rules="Be kind.", summary="Clearer.")
    html = client.get("/terms/").content.decode()
    assert "Current words" in html and "Be kind." in html and "Old words" not in html
    assert "Version 2" in html and "Version 1" in html
    assert "How to report something" in html

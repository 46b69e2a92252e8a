"""The notifications page, opening one, and one-click unsubscribe (RFC 8058)."""

import re

import pytest
from django.test import Client

from notifications.models import Notification, Preference
from notifications.services import notify
from notifications.tasks import unsubscribe_token
from tests.factories import UserFactory
from tests.htmlrefs import VALID_DATETIME

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_list_is_newest_first_with_unread_highlighted(logged_in, user):
    notify(user_ids=[user.pk], kind="mention", title="Older one", email=False)
    notify(user_ids=[user.pk], kind="meetup_change", title="Newer one", email=False)
    Notification.objects.filter(title="Older one").update(
        read_at="2026-01-01T10:00:00Z", created_at="2026-01-01T09:00:00Z"
    )
    html = logged_in.get("/notifications/").content.decode()
    assert html.index("Newer one") < html.index("Older one")
    assert html.count("note--unread") == 1
    assert "Mark all as read" in html


def test_only_my_notifications_are_listed(logged_in, user):
    other = UserFactory()
    notify(user_ids=[other.pk], kind="mention", title="Not for you", email=False)
    assert "Not for you" not in logged_in.get("/notifications/").content.decode()


def test_list_query_count_is_constant(logged_in, user, django_assert_max_num_queries):
    for i in range(3):
        notify(user_ids=[user.pk], kind="mention", title=f"n{i}", email=False)
    with django_assert_max_num_queries(8) as few:
        logged_in.get("/notifications/")
    for i in range(30):
        notify(user_ids=[user.pk], kind="mention", title=f"m{i}", email=False)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        logged_in.get("/notifications/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_opening_marks_read_and_goes_to_its_url(logged_in, user):
    (note,) = notify(
        user_ids=[user.pk], kind="mention", title="Hi", url="/groups/x/chat/", email=False
    )
    note = Notification.objects.get(user=user)
    response = logged_in.get(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/groups/x/chat/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_never_redirects_off_site(logged_in, user):
    notify(user_ids=[user.pk], kind="mention", title="Hi", url="https://evil.example/", email=False)
    note = Notification.objects.get(user=user)
    response = logged_in.get(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_cannot_open_someone_elses(logged_in):
    other = UserFactory()
    notify(user_ids=[other.pk], kind="mention", title="Theirs", email=False)
    note = Notification.objects.get(user=other)
    assert logged_in.get(f"/notifications/{note.pk}/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read(logged_in, user):
    other = UserFactory()
    notify(user_ids=[user.pk, other.pk], kind="mention", title="Hi", email=False)
    assert logged_in.get("/notifications/read-all/").status_code == 405
    logged_in.post("/notifications/read-all/")
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).exists()


def test_bell_count_in_the_page(logged_in, user):
    notify(user_ids=[user.pk], kind="mention", title="Hi", email=False)
    html = logged_in.get("/notifications/").content.decode()
    assert 'data-bell-count aria-live="polite">1<' in html


def test_unsubscribe_get_shows_a_confirm_page_and_changes_nothing(db, user):
    client = Client()
    token = unsubscribe_token(user.pk, "missed_you")
    response = client.get(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 200
    assert b"Yes, stop these emails" in response.content
    assert not Preference.objects.filter(user=user).exists()


def test_one_click_post_without_csrf_turns_that_kind_off(db, user):
    client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token(user.pk, "missed_you")
    response = client.post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Preference.objects.get(user=user, kind="missed_you").email is False
    assert not Preference.objects.filter(user=user, kind="mention").exists()


def test_a_tampered_token_is_refused(db, user):
    token = unsubscribe_token(user.pk, "missed_you")
    response = Client().post(f"/notifications/unsubscribe/{token[:-3]}abc/")
    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_other_views_still_need_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/notifications/read-all/").status_code == 403


def test_unsubscribed_kind_is_not_emailed(db, user, mailoutbox, django_capture_on_commit_callbacks):
    token = unsubscribe_token(user.pk, "mention")
    Client().post(f"/notifications/unsubscribe/{token}/")
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[user.pk], kind="mention", title="Mentioned", email=True)
        notify(user_ids=[user.pk], kind="meetup_change", title="Moved", email=True)
    assert [m.subject for m in mailoutbox] == ["[Village] Moved"]
    assert mailoutbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_list_times_are_valid_html_datetimes(logged_in, user):
    notify(user_ids=[user.pk], kind="mention", title="Someone mentioned you", email=False)
    html = logged_in.get("/notifications/").content.decode()
    datetimes = re.findall(r'datetime="([^"]*)"', html)
    assert datetimes
    assert all(VALID_DATETIME.fullmatch(d) for d in datetimes), datetimes

"""Sessions are recorded per member, so account deletion logs them out everywhere with one
indexed lookup instead of decoding everybody's sessions."""

import re

from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import LoginSession
from accounts.services import account_delete
from tests.factories import UserFactory

PASSWORD = "village-test"


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _assert_no_session_scan(queries) -> None:
    """Every read of django_session (including subqueries) is narrowed by a WHERE."""
    reads = [
        m.group("rest")
        for q in queries
        for m in re.finditer(r'FROM "django_session"(?: U\d+)?(?P<rest>.{0,300})', q["sql"])
    ]
    for rest in reads:
        assert rest.lstrip().startswith("WHERE") and "session_key" in rest, rest


def _keys(user) -> set[str]:
    return set(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))


def test_logging_in_records_the_session_and_logging_out_forgets_it(client, db):
    user = _verified(UserFactory())
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    key = client.session.session_key
    assert _keys(user) == {key}
    client.post("/accounts/logout/")
    assert _keys(user) == set()


def test_a_password_change_cycles_the_key_and_the_new_one_is_recorded(client, db):
    user = _verified(UserFactory())
    client.force_login(user)
    old = client.session.session_key
    assert _keys(user) == {old}
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-secret-9",
            "password2": "a-new-long-secret-9",
        },
    )
    assert response.status_code == 302
    new = client.session.session_key
    assert new != old  # Django cycled it, keeping this phone logged in
    assert _keys(user) == {new}


def test_account_delete_logs_out_every_phone_and_only_that_member(db):
    user = _verified(UserFactory())
    phones = [Client(), Client()]
    for phone in phones:
        phone.force_login(user)
    other = UserFactory()
    bystander = Client()
    bystander.force_login(other)
    account_delete(user=user, password=PASSWORD)
    for phone in phones:
        assert not Session.objects.filter(session_key=phone.session.session_key).exists()
        assert phone.get("/me/").status_code == 302  # back to log-in
    assert Session.objects.filter(session_key=bystander.session.session_key).exists()
    assert bystander.get("/me/").status_code == 200
    assert not LoginSession.objects.filter(user_id=user.pk).exists()


def _deletion_queries(n_other_sessions: int) -> int:
    user = _verified(UserFactory())
    Client().force_login(user)
    for _ in range(n_other_sessions):
        store = SessionStore()
        store["_auth_user_id"] = "999999"
        store.create()
    with CaptureQueriesContext(connection) as captured:
        account_delete(user=user, password=PASSWORD)
    assert any("django_session" in q["sql"] for q in captured.captured_queries)
    _assert_no_session_scan(captured.captured_queries)  # each of the member's own, by key
    return len(captured.captured_queries)


def test_deletion_does_not_grow_with_everyone_elses_sessions(db):
    assert _deletion_queries(1) == _deletion_queries(40)


def test_records_of_ended_sessions_are_pruned_at_the_next_log_in(db):
    user = _verified(UserFactory())
    old_phone = Client()
    old_phone.force_login(user)
    old_key = old_phone.session.session_key
    Session.objects.filter(session_key=old_key).delete()  # expired and cleared away
    new_phone = Client()
    with CaptureQueriesContext(connection) as captured:
        new_phone.force_login(user)
    assert _keys(user) == {new_phone.session.session_key}
    _assert_no_session_scan(captured.captured_queries)

"""Sessions are recorded per member, so account deletion logs them out everywhere with one
indexed lookup instead of decoding everybody's sessions."""

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
    on_sessions = [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]]
    assert on_sessions  # the member's own session was ended...
    for sql in on_sessions:  # ...each by its key: never a scan of everyone's sessions
        assert "WHERE" in sql and "session_key" in sql.split("WHERE", 1)[1], sql
    return len(captured.captured_queries)


def test_deletion_does_not_grow_with_everyone_elses_sessions(db):
    assert _deletion_queries(1) == _deletion_queries(40)

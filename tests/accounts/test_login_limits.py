"""Failed log-ins are limited per address *and* network address: a guesser locks out only
themselves, gets a 429, and is told how long to wait."""

from __future__ import annotations

from django.test import Client

GUESSER = "203.0.113.7"
OWNER = "198.51.100.23"


def _log_in(client: Client, email: str, password: str, ip: str):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_wrong_guesses_from_one_address_do_not_lock_the_owner_out(user):
    guesser = Client()
    for _ in range(5):
        assert _log_in(guesser, user.email, "wrong", GUESSER).status_code == 200

    refused = _log_in(guesser, user.email, "wrong", GUESSER)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many tries. Please wait 5 minutes and try again, or reset your password." in text
    assert 'href="/accounts/password/reset/"' in text
    assert refused["Retry-After"] == "300"
    # Even the right password waits on the guesser's address...
    assert _log_in(guesser, user.email, "village-test", GUESSER).status_code == 429
    assert guesser.get("/me/").status_code == 302

    # ...but the owner, somewhere else, logs straight in.
    owner = Client()
    response = _log_in(owner, user.email, "village-test", OWNER)
    assert response.status_code == 302
    assert owner.get("/me/", REMOTE_ADDR=OWNER).status_code == 200


def test_the_wait_counts_down(user, settings):
    import time_machine

    guesser = Client()
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        for _ in range(5):
            _log_in(guesser, user.email, "wrong", GUESSER)
            clock.shift(30)  # the first try was 2.5 minutes ago by the end
        refused = _log_in(guesser, user.email, "wrong", GUESSER)
        assert refused.status_code == 429
        assert "Please wait 3 minutes" in refused.content.decode()
        clock.shift(151)  # the first failure has now aged out
        assert _log_in(guesser, user.email, "village-test", GUESSER).status_code == 302


def test_the_refusal_never_echoes_the_address_or_the_password(user):
    guesser = Client()
    for _ in range(6):
        refused = _log_in(guesser, user.email, "s3cret-guess", GUESSER)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "s3cret-guess" not in text

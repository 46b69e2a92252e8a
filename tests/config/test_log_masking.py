"""Secret tokens in URL paths (calendar feeds, one-tap links, unsubscribe, invites...) are
masked in every log line: Django's "Not Found" warnings and daphne's access log."""

from __future__ import annotations

import io
import logging

import pytest

from config.logfilters import MASK, MaskSecretPaths, mask_secrets

SECRET = "s3cr3t-T0KEN_abc:1tq:xyz"


@pytest.mark.parametrize(
    "path, masked",
    [
        (f"/meetups/feed/{SECRET}.ics", f"/meetups/feed/{MASK}.ics"),
        (f"/meetups/rsvp/{SECRET}/", f"/meetups/rsvp/{MASK}/"),
        (f"/meetups/missed/{SECRET}/", f"/meetups/missed/{MASK}/"),
        (f"/notifications/unsubscribe/{SECRET}/", f"/notifications/unsubscribe/{MASK}/"),
        (f"/groups/invite/{SECRET}/", f"/groups/invite/{MASK}/"),
        (f"/moderation/closed/{SECRET}/", f"/moderation/closed/{MASK}/"),
        (f"/accounts/confirm-email/{SECRET}/", f"/accounts/confirm-email/{MASK}/"),
        (f"/accounts/password/reset/key/{SECRET}/", f"/accounts/password/reset/key/{MASK}/"),
        (f".{SECRET}", f".{SECRET}"),  # no path: nothing to mask
        (f"/meetups/feed/{SECRET}", f"/meetups/feed/{MASK}"),  # end of the line
        (f"/groups/x/?token={SECRET}&a=1", f"/groups/x/?token={MASK}&a=1"),
    ],
)
def test_token_paths_are_masked(path, masked):
    assert mask_secrets(path) == masked
    line = f'127.0.0.1:5000 - - [03/Dec/2026:14:00:00] "GET {path}" 404 179'
    assert mask_secrets(line) == line.replace(path, masked)


@pytest.mark.parametrize(
    "path",
    [
        "/meetups/",
        "/groups/tea-and-talk/meetups/3/",
        "/groups/tea-and-talk/meetups.ics",
        "/accounts/password/reset/key/done/",
        "/notifications/",
        "/groups/invite/",
    ],
)
def test_other_paths_are_left_alone(path):
    assert mask_secrets(path) == path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, status",
    [
        (f"/meetups/feed/{SECRET}.ics", 404),
        (f"/meetups/rsvp/{SECRET}/", 400),
        (f"/notifications/unsubscribe/{SECRET}/", 400),
    ],
)
def test_a_real_bad_token_request_is_logged_masked(client, caplog, path, status):
    caplog.set_level(logging.INFO)
    assert client.get(path).status_code == status
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records, "Django logs the refused request"
    assert all(r.levelno < logging.ERROR for r in records)
    assert SECRET not in caplog.text
    assert MASK in caplog.text


def test_the_console_handler_masks_whatever_logs_a_path(capsys):
    """The settings' console handler masks records from any logger (e.g. a future one)."""
    from django.conf import settings

    assert "mask_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskSecretPaths())
    record = logging.LogRecord(
        "anything", logging.WARNING, __file__, 1, "odd request %s", (f"/groups/invite/{SECRET}/",),
        None,
    )  # fmt: skip
    handler.handle(record)
    assert SECRET not in stream.getvalue() and MASK in stream.getvalue()


def test_tracebacks_are_masked_too():
    try:
        raise ValueError(f"No route found for path 'meetups/feed/{SECRET}.ics'")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    MaskSecretPaths().filter(record)
    assert SECRET not in record.exc_text and MASK in record.exc_text


def test_daphnes_access_log_is_masked(monkeypatch):
    """daphne writes its access log to a stream; config.asgi makes its command line use the
    masking writer (daphne imports the application before building the server; the real
    server is checked in test_daphne_logs)."""
    import daphne.cli

    from config import accesslog

    monkeypatch.setattr(daphne.cli, "AccessLogGenerator", daphne.cli.AccessLogGenerator)
    accesslog.install()
    assert daphne.cli.AccessLogGenerator is accesslog.MaskedAccessLog
    stream = io.StringIO()
    log = daphne.cli.AccessLogGenerator(stream)
    log("http", "complete", {
        "client": "127.0.0.1:5000", "method": "GET", "path": f"/meetups/feed/{SECRET}.ics",
        "status": 404, "size": 179,
    })  # fmt: skip
    log("websocket", "connecting", {"client": "127.0.0.1:5001", "path": f"/groups/invite/{SECRET}/"})  # noqa: E501
    assert SECRET not in stream.getvalue()
    assert f"GET /meetups/feed/{MASK}.ics" in stream.getvalue()
    assert f"WSCONNECTING /groups/invite/{MASK}/" in stream.getvalue()


def test_the_pubsub_layers_reconnect_errors_become_one_outage_warning(caplog):
    """channels-redis logs each failed reconnect at ERROR; they are an outage (logged once)."""
    import logging

    from config import outage
    from realtime.sender import LAYER

    caplog.set_level(logging.WARNING)
    pubsub = logging.getLogger("channels_redis.pubsub")
    for _ in range(5):
        try:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        except ConnectionError:
            pubsub.exception("Unexpected exception in receive task")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    warnings = [r for r in caplog.records if r.name == "village.outage"]
    assert len(warnings) == 1 and outage.is_down(LAYER)

"""A 403 is an ordinary answer: one WARNING line, no traceback, never ERROR (issue 17).

Django's django.request logger writes "Forbidden (Permission denied)" with the exception's
traceback attached, and in DEBUG its own console handler on "django" wrote it a second time
next to ours on the root logger."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def _writers(record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers (not pytest's, nor the suite's privacy guard) that would write this record
    out, as logging decides."""
    out = []
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith(("_pytest", "tests.conftest", "conftest")):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                out.append(handler)
        if not logger.propagate:
            break
        logger = logger.parent
    return out


@pytest.mark.parametrize("debug", [False, True])
def test_a_403_logs_one_line_without_a_traceback(client, member, group, caplog, settings, debug):
    settings.DEBUG = debug
    client.force_login(member)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/groups/{group.slug}/members/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert len(records) == 1, [(r.name, r.getMessage()) for r in records]
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"Forbidden (Permission denied): /groups/{group.slug}/members/"
    assert not record.exc_info and not record.exc_text and not record.stack_info
    assert "Traceback" not in caplog.text
    assert len(_writers(record)) == 1


def test_client_errors_from_django_security_are_warnings_without_tracebacks(client, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.get("/", headers={"host": "not-our-site.invalid"})
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name.startswith("django.security")]
    assert records
    for record in records:
        # What the console writes: django.security.* loggers are named per exception class,
        # so the handler carries the filter.
        (writer,) = _writers(record)
        line = writer.format(record)
        assert " WARNING django.security.DisallowedHost " in line
        assert "Traceback" not in line and "\n" not in line


def test_server_errors_keep_their_level_and_traceback():
    from config.logfilters import ClientErrorsAsWarnings

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", None, exc_info)
    record.status_code = 500
    assert ClientErrorsAsWarnings().filter(record)
    assert record.levelno == logging.ERROR and record.exc_info is exc_info

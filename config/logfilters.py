"""Secret tokens in URL paths never reach the logs.

Calendar feeds, one-tap answers, unsubscribe links, invites, closed-account links and allauth's
email and password keys carry a secret in the path itself. Whoever reads a log line with one
could use it, so every path-like string for those routes is logged with the token masked:
`/meetups/feed/[token].ics`. `MaskSecretPaths` is installed in settings.LOGGING (on the loggers
that log request paths and on the console handler), and `config.accesslog` applies the same
`mask_secrets` to daphne's access log, which daphne writes to a stream rather than to logging.
"""

from __future__ import annotations

import logging
import re

MASK = "[token]"

# The prefixes of routes whose next path segment is a secret (meetups/site_urls.py,
# notifications/urls.py, groups/urls.py, moderation/urls.py, directory/urls.py, allauth's
# account urls).
SECRET_PREFIXES = (
    "meetups/feed/",
    "meetups/group-feed/",
    "meetups/rsvp/",
    "meetups/missed/",
    "notifications/unsubscribe/",
    "groups/invite/",
    "moderation/closed/",
    "accounts/confirm-email/",
    "accounts/password/reset/key/",
    "help/answer/",
)

_SECRET_PATH = re.compile(
    # "/meetups/feed/...", or "meetups/feed/..." as Channels' router quotes a path
    r"(?P<prefix>(?<![\w.-])/?(?:" + "|".join(re.escape(p) for p in SECRET_PREFIXES) + r"))"
    r"(?!done/)"  # allauth's "password/reset/key/done/" page has no key
    r"(?P<secret>[^/\s\"'<>?#]+?)"
    r"(?P<end>\.ics|(?=[/\s\"'<>?#]|$))"
)
# Query strings such as "?token=..." or "&key=..." (a link pasted with its token elsewhere).
_SECRET_PARAM = re.compile(r"(?P<name>[?&](?:token|key)=)[^&\s\"'<>#]+", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """`text` with the secret part of every token-carrying path (or token parameter) masked."""
    if "/" not in text and "=" not in text:
        return text
    text = _SECRET_PATH.sub(lambda m: f"{m['prefix']}{MASK}{m['end']}", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}{MASK}", text)


class MaskSecretPaths(logging.Filter):
    """Rewrites a record's message (and its traceback text) with `mask_secrets`. Never drops
    a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


class ChannelLayerOutage(logging.Filter):
    """channels-redis's pub/sub layer reconnects on its own when Redis goes away, and logs every
    failed attempt as an ERROR with a traceback (about once a second per process). Those are an
    outage, not a bug: they go to `config.outage` instead (one WARNING per outage), which also
    tells this process's chat subscriptions that the layer is away (chat/fanout.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Unexpected exception"):
            from config import outage
            from realtime.sender import LAYER

            exc = record.exc_info[1] if record.exc_info else None
            outage.down(LAYER, exc)
            return False
        return True


class ClientErrorsAsWarnings(logging.Filter):
    """A 4xx answer (403 permission denied, 400 bad or suspicious request) is something a
    client sent, not a fault: one WARNING line, no traceback. Django attaches the exception to
    these records (django.request, django.security.*), and logs suspicious requests at ERROR.
    5xx records are left as they are. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            if record.levelno > logging.WARNING:
                record.levelno = logging.WARNING
                record.levelname = logging.getLevelName(logging.WARNING)
        return True

"""Error reports to Sentry (or any Sentry-compatible server: GlitchTip, a self-hosted Sentry)
when SENTRY_DSN is set, with the Django and Huey integrations.

What never leaves: message bodies, report notes, referral text, email addresses, secret
tokens, cookies, IP addresses. `send_default_pii` is off (no user, no IP, no cookies, no
task arguments), local variables are not collected, and `scrub_event` / `scrub_breadcrumb`
run on every event and breadcrumb before it is sent:

- the request keeps only its method and its URL without the query string, with the secret
  path segments masked (config.logfilters.mask_secrets); no body, cookies or headers;
- `extra`, the user, and every breadcrumb's `data` go; stack frames keep file, function and
  line, never variables;
- log lines (events and breadcrumbs) keep their template, never the values put into it;
- every remaining string (exception values, log messages, breadcrumb messages) has email
  addresses, secret paths and long token-like strings masked, and database error DETAIL
  lines (which quote the row's values) removed.
"""

from __future__ import annotations

import re
from typing import Any

from config.logfilters import mask_secrets

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Secret tokens are long runs of URL-safe characters (secrets.token_urlsafe, hex digests).
TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}(?![\w-])")
DETAIL = re.compile(r"^\s*DETAIL:.*$", re.MULTILINE)
SAFE_CONTEXTS = {"runtime", "os", "trace", "browser", "device"}


def scrub_text(text: str) -> str:
    text = DETAIL.sub("DETAIL: [removed]", text)
    text = mask_secrets(text)
    text = EMAIL.sub("[email]", text)
    return TOKEN.sub("[token]", text)


def _scrub_strings(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_strings(v) for v in value]
    return value


# Where free text lives in an event; ids, timestamps and SDK fields are left alone.
TEXT_FIELDS = ("message", "logentry", "exception", "threads", "transaction", "request",
               "breadcrumbs", "fingerprint", "culprit")


def _scrub_request(request: dict) -> dict:
    kept = {}
    if request.get("method"):
        kept["method"] = request["method"]
    if isinstance(request.get("url"), str):
        kept["url"] = mask_secrets(request["url"].split("?", 1)[0])
    return kept


def _scrub_frames(event: dict) -> None:
    for exc in (event.get("exception") or {}).get("values") or []:
        for frame in (exc.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    crumb = {k: v for k, v in crumb.items() if k in {"type", "category", "level", "timestamp",
                                                     "message"}}
    record = (hint or {}).get("log_record")
    if record is not None and isinstance(record.msg, str):
        # A log line's template ("could not send to %s"), never the values put into it.
        crumb["message"] = record.msg
    if isinstance(crumb.get("message"), str):
        crumb["message"] = scrub_text(crumb["message"])
    return crumb


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    if event.get("request"):
        event["request"] = _scrub_request(event["request"])
    for key in ("user", "extra", "modules"):
        event.pop(key, None)
    if "contexts" in event:
        event["contexts"] = {k: v for k, v in event["contexts"].items() if k in SAFE_CONTEXTS}
    if "logentry" in event:
        entry = event["logentry"]
        # The template only ("could not send to %s"): the arguments are values, sometimes
        # private ones, and so is the line formatted with them.
        event["logentry"] = {"message": entry.get("message") or ""}
    _scrub_frames(event)
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
        crumbs["values"] = [scrub_breadcrumb(c) for c in crumbs["values"]]
    elif isinstance(crumbs, list):
        event["breadcrumbs"] = [scrub_breadcrumb(c) for c in crumbs]
    for key in TEXT_FIELDS:
        if key in event:
            event[key] = _scrub_strings(event[key])
    return event


def init(dsn: str, *, environment: str = "", release: str = "") -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.huey import HueyIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), HueyIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0,
    )

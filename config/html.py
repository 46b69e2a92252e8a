"""Template filters every app's pages share (``{% load village_html %}``)."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def html_datetime(value: dt.datetime | None) -> str:
    """A ``<time datetime>`` value: UTC, to the millisecond, e.g. 2026-12-03T14:03:28.728Z.

    HTML allows at most three digits of a second; Django's ``date:'c'`` gives six."""
    if not isinstance(value, dt.datetime):
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    text = value.isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z" if value.tzinfo is not None else text


@register.simple_tag
def client_time_rule() -> str:
    """The time rule for ``<body data-time-rule>`` (see config.timefmt); escaped by Django."""
    from config.timefmt import client_time_rule_json

    return client_time_rule_json()

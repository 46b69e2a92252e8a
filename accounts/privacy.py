"""Personal data duties: every app that stores something about a member registers how to
export it and how to erase or anonymise it, so `accounts` never imports the higher apps.

In an app's AppConfig.ready():

    from accounts import privacy
    privacy.register("chat", export=export_fn, erase=erase_fn)

`export(user) -> dict | list` returns only that member's own data (JSON-serialisable).
`erase(user) -> None` runs inside the account-deletion transaction, before the user row is
scrubbed; posts are anonymised (shown as "Former member"), not silently rewritten.
`warn(user) -> list[Notice]` (optional) says, on the deletion page, what the member might
want to sort out first. It never blocks: deleting an account is a legal duty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    """Something to sort out before deleting, with an optional link to do it."""

    text: str
    link_url: str = ""
    link_text: str = ""


Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], None]
Warner = Callable[[Any], list[Notice]]

_registry: dict[str, tuple[Exporter | None, Eraser | None]] = {}
_warners: dict[str, Warner] = {}


def register(
    name: str,
    *,
    export: Exporter | None = None,
    erase: Eraser | None = None,
    warn: Warner | None = None,
) -> None:
    _registry[name] = (export, erase)
    if warn is not None:
        _warners[name] = warn
    else:
        _warners.pop(name, None)


def warners() -> dict[str, Warner]:
    return dict(sorted(_warners.items()))


def exporters() -> dict[str, Exporter]:
    return {name: ex for name, (ex, _) in sorted(_registry.items()) if ex is not None}


def erasers() -> dict[str, Eraser]:
    return {name: er for name, (_, er) in sorted(_registry.items()) if er is not None}

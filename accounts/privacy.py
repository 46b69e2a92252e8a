"""Personal data duties: every app that stores something about a member registers how to
export it and how to erase or anonymise it, so `accounts` never imports the higher apps.

In an app's AppConfig.ready():

    from accounts import privacy
    privacy.register("chat", export=export_fn, erase=erase_fn)

`export(user) -> dict | list` returns only that member's own data (JSON-serialisable).
`erase(user) -> None` runs inside the account-deletion transaction, before the user row is
scrubbed; posts are anonymised (shown as "Former member"), not silently rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], None]

_registry: dict[str, tuple[Exporter | None, Eraser | None]] = {}


def register(name: str, *, export: Exporter | None = None, erase: Eraser | None = None) -> None:
    _registry[name] = (export, erase)


def exporters() -> dict[str, Exporter]:
    return {name: ex for name, (ex, _) in sorted(_registry.items()) if ex is not None}


def erasers() -> dict[str, Eraser]:
    return {name: er for name, (_, er) in sorted(_registry.items()) if er is not None}

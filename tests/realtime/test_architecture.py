"""realtime is the bottom layer: it imports no Village app, and the apps above reach the
channel layer only through it (no second sender, no per-user channel borrowed from chat)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"django", "channels", "asgiref", "redis", "realtime"}
#: What it borrows from config for now (one outage line per outage).
ALLOWED_CONFIG = {"config.outage"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "realtime").glob("*.py")), ids=lambda p: p.name)
def test_realtime_imports_only_django_channels_asgiref_and_redis(path):
    for name in _imports(path):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top == "__future__" or top in ALLOWED:
            continue
        assert any(name.startswith(ok) for ok in ALLOWED_CONFIG), f"{path.name} imports {name}"


@pytest.mark.parametrize("app", ["groups", "notifications", "moderation", "accounts", "config"])
def test_apps_below_chat_do_not_borrow_its_events(app):
    for path in (ROOT / app).rglob("*.py"):
        names = _imports(path)
        assert not [n for n in names if n.startswith("chat.events")], f"{path} imports chat.events"


def _unawaited_sends(source: str) -> list[int]:
    """Lines that hand `group_send` on (async_to_sync, a thread-safe future, a gather) instead
    of awaiting it where it stands: the shape of a sender of one's own."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "group_send":
            call = parents.get(node)
            awaited = isinstance(call, ast.Call) and call.func is node
            if not (awaited and isinstance(parents.get(call), ast.Await)):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("app", ["chat", "groups", "notifications", "moderation", "meetups"])
def test_only_realtime_sends_from_outside_a_socket(app):
    """Sockets may await their own small sends (typing); everything else goes through
    realtime.sender (after commit, logged once on failure)."""
    for path in (ROOT / app).rglob("*.py"):
        lines = _unawaited_sends(path.read_text())
        assert not lines, f"{path.relative_to(ROOT)}:{lines} sends without realtime.sender"


def test_the_check_sees_the_old_shapes():
    assert _unawaited_sends("async_to_sync(layer.group_send)(g, m)") == [1]
    assert _unawaited_sends("gather(*(layer.group_send(g, m) for g in gs))") == [1]
    assert _unawaited_sends("async def f():\n    await layer.group_send(g, m)") == []

"""House rules across every app, checked on the code's syntax tree (not on substrings):
views and consumers are interfaces, so they never reach a model manager themselves; they ask
the permission module and a service or selector."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "groups", "chat", "meetups", "moderation", "notifications", "realtime", "core"]


def _interfaces():
    for app in APPS:
        for path in sorted((ROOT / app).glob("*.py")):
            if path.name.endswith("views.py") or path.name == "consumers.py":
                yield path


@pytest.mark.parametrize("path", list(_interfaces()), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_views_and_consumers_never_use_a_model_manager(path):
    tree = ast.parse(path.read_text())
    offenders = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager"}
    ]
    assert offenders == [], f"{path.relative_to(ROOT)} reaches the ORM at lines {offenders}"


def test_the_rule_sees_what_it_should():
    tree = ast.parse("def v(request):\n    return Message.objects.filter(pk=1)\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "objects" for n in ast.walk(tree))

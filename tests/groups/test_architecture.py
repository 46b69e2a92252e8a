"""House rules, checked: groups views stay thin and never query models directly."""

import ast
from pathlib import Path

import groups

VIEWS = Path(groups.__file__).with_name("views.py")


def test_views_never_touch_the_orm():
    tree = ast.parse(VIEWS.read_text())
    offenders = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "save", "delete"}
    ]
    assert offenders == [], f"groups/views.py uses the ORM directly at lines {offenders}"


def test_views_ask_the_permission_module():
    text = VIEWS.read_text()
    assert "access_group(" in text and "require_site(" in text

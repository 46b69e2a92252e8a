"""Views, tasks and template tags are interfaces: they never query models directly."""

from pathlib import Path

import meetups

APP = Path(meetups.__file__).parent


def test_interfaces_never_touch_the_orm():
    for name in ("views.py", "tasks.py", "templatetags/meetups_tags.py"):
        source = (APP / name).read_text()
        assert ".objects." not in source, f"{name} queries models directly"


def test_rules_are_pure():
    source = (APP / "rules.py").read_text()
    for forbidden in ("django.db", ".objects", "timezone.now"):
        assert forbidden not in source


def _service_modules():
    import ast

    paths = sorted((APP / "services").rglob("*.py"))
    assert paths, "meetups/services/ is a package, one module per sub-domain"
    for path in paths:
        yield path, ast.parse(path.read_text())


def test_service_functions_stay_short():
    """One step per function: a service over ~60 lines is several steps that want names."""
    import ast

    long = [
        f"{path.relative_to(APP)}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in _service_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60
    ]
    assert not long, long


def test_the_package_names_every_public_service():
    """Callers write `services.x` whichever module x lives in, so each module's public
    functions and classes are named by the package, as the same objects."""
    import ast
    import importlib

    from meetups import services

    for path, tree in _service_modules():
        if path.name == "__init__.py":
            continue
        dotted = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        module = importlib.import_module(dotted)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                assert node.name in services.__all__, f"{dotted}.{node.name} is not re-exported"
                assert getattr(services, node.name) is getattr(module, node.name)

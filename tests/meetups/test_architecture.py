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

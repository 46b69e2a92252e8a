"""The consumer and views are interfaces: no direct queries on chat's group-owned models."""

from pathlib import Path

import pytest

CHAT = Path(__file__).resolve().parents[2] / "chat"


@pytest.mark.parametrize("name", ["consumers.py", "views.py", "protocol.py"])
def test_interfaces_do_not_query_models_directly(name):
    source = (CHAT / name).read_text()
    for model in ("Message", "RoomEvent", "Reaction", "ReadMarker", "Mention", "Room"):
        assert f"{model}.objects" not in source, f"{name} queries {model} directly"


def test_consumer_never_logs_bodies():
    source = (CHAT / "consumers.py").read_text() + (CHAT / "protocol.py").read_text()
    assert "body" not in "".join(line for line in source.splitlines() if "log." in line)

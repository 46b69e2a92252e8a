"""Village's own settings (settings.VILLAGE) are read through `config.village.village(name)`:
one table of names, types and defaults, read at call time so a test's override applies."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.village import SETTINGS, from_environment, village


def test_reads_the_current_value_so_overrides_apply(settings):
    assert village("CHAT_PAGE_SIZE") == 50
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_PAGE_SIZE": 5}
    assert village("CHAT_PAGE_SIZE") == 5


def test_a_name_left_out_of_the_dict_gets_its_default(settings):
    """A deployer's settings may set VILLAGE to only the keys they change."""
    settings.VILLAGE = {"CHAT_PAGE_SIZE": 20}
    assert village("CHAT_PAGE_SIZE") == 20
    assert village("CHAT_RESUME_CAP") == 500
    assert village("RATE_LIMITS")["report"] == "30/10m"
    assert village("SOCKET_LIMITS") == {}


def test_an_unknown_name_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="CHAT_PAGE_SIZ"):
        village("CHAT_PAGE_SIZ")


def test_a_value_of_the_wrong_type_is_a_clear_error(settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_PAGE_SIZE": "50"}
    with pytest.raises(ImproperlyConfigured, match="CHAT_PAGE_SIZE.*a whole number"):
        village("CHAT_PAGE_SIZE")


def test_seconds_may_be_fractions(settings):
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_HEARTBEAT_SECONDS": 0.2}
    assert village("CHAT_HEARTBEAT_SECONDS") == 0.2


def test_the_settings_dict_is_the_table_with_the_environment_applied(settings):
    assert set(settings.VILLAGE) == set(SETTINGS)
    built = from_environment({"CHAT_RATE_LIMIT_COUNT": "3", "CHAT_FRAMES_PER_SECOND": "2.5"})
    assert built["CHAT_RATE_LIMIT_COUNT"] == 3
    assert built["CHAT_FRAMES_PER_SECOND"] == 2.5
    assert built["CHAT_MAX_MESSAGE_CHARS"] == 4000
    assert from_environment({})["CHAT_RATE_LIMIT_COUNT"] == 10


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="CHAT_RATE_LIMIT_COUNT"):
        from_environment({"CHAT_RATE_LIMIT_COUNT": "ten"})


def test_defaults_are_not_shared_between_readers(settings):
    settings.VILLAGE = {}
    village("RATE_LIMITS")["report"] = "1/h"
    assert village("RATE_LIMITS")["report"] == "30/10m"


#: Still reading settings.VILLAGE directly; they move to village() when next edited.
NOT_YET = {"chat/views.py", "chat/protocol.py"}


def test_code_reads_village_settings_through_the_accessor():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = set()
    for app in ("accounts", "chat", "config", "groups", "meetups", "moderation", "notifications"):
        for path in (root / app).rglob("*.py"):
            rel = path.relative_to(root).as_posix()
            if "migrations" in rel or rel.startswith("config/settings/"):
                continue
            text = path.read_text()
            if 'settings.VILLAGE["' in text or "settings.VILLAGE.get(" in text:
                direct.add(rel)
    assert direct == NOT_YET

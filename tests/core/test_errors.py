"""GroupError and ModerationError are one kind of error: a message for the member and a code."""

import pytest

from core.errors import ServiceError
from groups.services import GroupError
from moderation.services import AlreadyHandled, ModerationError


@pytest.mark.parametrize("cls", [GroupError, ModerationError, AlreadyHandled])
def test_every_service_error_shares_the_base(cls):
    assert issubclass(cls, ServiceError)


def test_a_service_error_carries_its_words_and_code():
    error = GroupError("We couldn't find that member.", code="not_found")
    assert (error.message, error.code, str(error)) == (
        "We couldn't find that member.",
        "not_found",
        "We couldn't find that member.",
    )
    assert ModerationError("Please choose a reason.").code == "invalid"


def test_one_apps_errors_are_not_the_others():
    # A view catching moderation's errors must not swallow a group error, and back.
    assert not issubclass(GroupError, ModerationError)
    assert not issubclass(ModerationError, GroupError)

"""Shared fixtures. Plain rows come from factories; state with side effects from services."""

import pytest

from tests.factories import GroupFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_process_copies():
    """Each process keeps the watch lists (moderation.screening) and the chat rooms
    (chat.protocol); a test's rolled-back rows must not linger there for the next test."""
    from chat import protocol
    from config import cache, outage
    from moderation import screening

    screening.forget()
    protocol.forget_room()
    outage.reset()
    yield
    screening.forget()
    protocol.forget_room()
    outage.reset()
    cache.forget_all()


@pytest.fixture(autouse=True)
def _fast_static(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def group(db):
    return GroupFactory()


@pytest.fixture
def member(group):
    return MembershipFactory(group=group).user


@pytest.fixture
def facilitator(group):
    return MembershipFactory(group=group, role="facilitator").user


@pytest.fixture
def moderator(db):
    return UserFactory(is_moderator=True)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)

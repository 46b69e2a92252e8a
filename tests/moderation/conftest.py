"""Moderation fixtures: messages are posted through chat's real service."""

from __future__ import annotations

import uuid

import pytest

from chat.services import message_send, room_for_group
from tests.factories import GroupFactory, MembershipFactory, UserFactory


def post(user, group, body: str = "Hello everyone"):
    room = room_for_group(group.pk)
    return message_send(user=user, room=room, body=body, client_id=uuid.uuid4()).message


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """A private cache per test (chat's rate limits and the header flag live there): never
    `cache.clear()`, which on the Redis cache flushes the whole shared database."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"moderation-test-{uuid.uuid4().hex}",
        }
    }
    yield


@pytest.fixture
def author(group):
    return MembershipFactory(group=group).user


@pytest.fixture
def other_group(db):
    return GroupFactory()


@pytest.fixture
def other_facilitator(other_group):
    return MembershipFactory(group=other_group, role="facilitator").user


@pytest.fixture
def moderator2(db):
    return UserFactory(is_moderator=True)


@pytest.fixture
def message(author, group):
    return post(author, group, "Something someone might report")


@pytest.fixture
def make_member(group):
    def make(**kwargs):
        return MembershipFactory(group=group, **kwargs).user

    return make

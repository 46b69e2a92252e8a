"""Shared by the rate-limit tables (tests/moderation, tests/groups): one row per view, each
giving who posts, three POSTs that would each store a row, and how to count the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from tests.accounts.conftest import private_cache

LIMIT = 2
KIND = "Too many tries for now. Please wait"


@dataclass
class Row:
    user: object | None  # None: posts logged out, counted per network address
    posts: list[tuple[str, dict]]  # LIMIT + 1 of them, each able to store a row
    stored: Callable[[], int] | None  # rows stored so far (None: the view stores nothing)
    typed: str = ""  # a piece of what was typed, that the 429 page must keep
    get_status: int = 200  # what a GET of the last URL answers (405 for POST-only views)


@pytest.fixture
def tight_limits(settings):
    """Every form allows LIMIT POSTs, in a cache of this test's own, on a frozen clock (so no
    window ends mid-test)."""
    private_cache(settings)
    names = settings.VILLAGE["RATE_LIMITS"]
    settings.VILLAGE = {**settings.VILLAGE, "RATE_LIMITS": dict.fromkeys(names, f"{LIMIT}/h")}
    with time_machine.travel(1_900_000_000, tick=False):
        yield


def assert_limited(row: Row) -> None:
    client = Client()
    if row.user is not None:
        client.force_login(row.user)
    assert len(row.posts) == LIMIT + 1
    for n, (url, data) in enumerate(row.posts[:LIMIT], start=1):
        response = client.post(url, data)
        assert response.status_code < 400, (n, response.status_code)
        if row.stored is not None:
            assert row.stored() == n
    # GETs are never limited, however many POSTs came first.
    url, data = row.posts[LIMIT]
    assert client.get(url).status_code == row.get_status

    refused = client.post(url, data)
    assert refused.status_code == 429
    # django-ratelimit's windows are fixed (staggered per key), so the wait is up to an hour.
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 3600
    text = refused.content.decode()
    minutes = -(-wait // 60)
    expected = f"{wait} second" if wait < 60 else f"{minutes} minute"
    assert f"{KIND} {expected}" in text and "and try again." in text
    if row.typed:
        assert row.typed in text  # shown, and kept in the form that sends it again
        assert f'value="{row.typed}"' in text
    assert f'action="{url}"' in text
    if row.stored is not None:
        assert row.stored() == LIMIT

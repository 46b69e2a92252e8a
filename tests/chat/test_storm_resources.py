"""What a reconnect storm leaves behind: the channel layer is asked a bounded number of things
at once (a pool connection per concurrent command would otherwise stay open for good), and
memory freed by the burst is handed back once it is over (config/memory.py)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async as db

from chat import fanout
from config import memory
from realtime.names import room_layer
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_storm_of_joins_and_leaves_keeps_few_layer_commands_in_flight(
    make_client, monkeypatch
):
    layer = room_layer()
    in_flight = peak = 0

    def counting(fn):
        async def wrapper(*args, **kwargs):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.005)  # a Redis round trip
                return await fn(*args, **kwargs)
            finally:
                in_flight -= 1

        return wrapper

    monkeypatch.setattr(layer, "group_add", counting(layer.group_add))
    monkeypatch.setattr(layer, "group_discard", counting(layer.group_discard))
    groups = await db(lambda: [GroupFactory() for _ in range(40)])()
    users = await db(lambda: [MembershipFactory(group=g).user for g in groups])()
    clients = [make_client(u, g) for u, g in zip(users, groups, strict=True)]
    await asyncio.gather(*(c.connect(hello=None) for c in clients))  # 80 joins at once
    await asyncio.gather(*(c.close() for c in clients))  # and 80 leaves
    for _ in range(100):
        if in_flight == 0:
            break
        await asyncio.sleep(0.02)
    assert peak <= fanout.LAYER_CONCURRENCY


def test_memory_is_handed_back_once_after_a_burst_is_over(monkeypatch):
    calls = []
    monkeypatch.setattr(memory.gc, "collect", lambda: calls.append("gc"))
    monkeypatch.setattr(memory, "_malloc_trim", lambda: lambda pad: calls.append("trim"))
    monkeypatch.setattr(memory, "_connects", 0)
    for _ in range(memory.BURST):
        memory.note_connect()
    t = memory._last_connect
    assert not memory.settle(t + 1)  # still connecting: never during a storm
    assert memory.settle(t + memory.QUIET_SECONDS + 0.1)
    assert calls == ["gc", "trim"]
    assert not memory.settle(t + 60)  # once per burst
    memory.note_connect()  # a trickle is not a burst
    assert not memory.settle(memory._last_connect + 60)

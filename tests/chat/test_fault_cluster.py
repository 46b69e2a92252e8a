"""Fault tests against real processes: several daphne servers on one (private) Redis, a Redis
restart without persistence, and a server killed with SIGKILL.

Each test starts its own redis-server on a free port and its own daphne processes on a database
of its own (PostgreSQL when DATABASE_URL points there, else SQLite). Clients speak the real
protocol (tests/chat/faultkit.py). Every wait is a bounded wait for frames.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.chat.faultkit import (
    ChatClient,
    connect_with_retry,
    converge,
    db_head_matches,
    module_database,
    stack_for_test,
)

pytestmark = pytest.mark.fault


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


# Generous bounds: CI is a busy 2-core machine. These bound waits; they are not timings.
FRAME_TIMEOUT = 20
CONVERGE_TIMEOUT = 60


def clients_for(room, servers, per_server):
    clients = []
    i = 0
    for server in servers:
        for _ in range(per_server):
            u = room.users[i]
            clients.append((ChatClient(f"c{i}", u["session"], room.path), server))
            i += 1
    return clients


async def connect_all(pairs):
    for client, server in pairs:
        await client.connect(server)
    return [c for c, _ in pairs]


def at_head(head):
    return lambda c: c.last_seq >= head and not c.needs_resume


async def test_two_servers_on_one_redis_messages_cross(stack):
    room = stack.make_room("fault-cross", 4)
    a, b = stack.start_server(), stack.start_server()
    clients = await connect_all(clients_for(room, [a, b], 2))
    try:
        on_a, on_b = clients[:2], clients[2:]
        # A message sent through A reaches the members on B, and the other way round.
        cid_a = await on_a[0].send("hello from server A")
        for c in on_b:
            await c.wait_for(lambda c=c: c.has_body("hello from server A"), FRAME_TIMEOUT, "A->B")
        cid_b = await on_b[1].send("hello from server B")
        for c in on_a:
            await c.wait_for(lambda c=c: c.has_body("hello from server B"), FRAME_TIMEOUT, "B->A")
        await on_a[0].wait_for(lambda: cid_a in on_a[0].acks, FRAME_TIMEOUT, "ack A")
        await on_b[1].wait_for(lambda: cid_b in on_b[1].acks, FRAME_TIMEOUT, "ack B")
        # Everyone talks at once; every client ends with exactly the database's history.
        await asyncio.gather(*(c.send(f"round from {c.name}") for c in clients))
        await converge(clients, [a, b], at_head(6), CONVERGE_TIMEOUT, "after a round")
        history = db_head_matches(stack, room, clients)
        assert len(history) == 6
        assert all(c.duplicates_dropped == 0 for c in clients)
        # Nobody had to reconnect: the layer carried everything between the processes.
        assert all(c.connects == 1 for c in clients)
    finally:
        for c in clients:
            await c.close()


async def test_redis_restart_mid_chat_probe_reaches_everyone_and_all_converge(stack):
    room = stack.make_room("fault-redis", 4)
    a, b = stack.start_server(), stack.start_server()
    clients = await connect_all(clients_for(room, [a, b], 2))
    servers = [a, b]
    try:
        for c in clients:
            await c.send(f"before the restart from {c.name}")
        await converge(clients, servers, at_head(4), CONVERGE_TIMEOUT, "before restart")

        stack.redis.restart()  # kill -9, then a new, empty Redis on the same port

        # The chat goes on: a probe from a member on A must reach every member, on both
        # servers, within seconds (clients reconnect and resume if their socket was closed).
        sender = clients[0]
        await connect_with_retry(sender, servers) if not sender.connected else None
        probe = await sender.send("probe after the Redis restart")
        await converge(
            clients,
            servers,
            lambda c: c.has_body("probe after the Redis restart"),
            CONVERGE_TIMEOUT,
            "probe after restart",
        )
        await sender.wait_for(lambda: probe in sender.acks, FRAME_TIMEOUT, "probe ack")
        # And live delivery works again, both ways across the processes.
        for c in clients:
            await c.send(f"after the restart from {c.name}")
        await converge(
            clients, servers, lambda c: not c.outbox and at_head(9)(c), CONVERGE_TIMEOUT, "after"
        )
        history = db_head_matches(stack, room, clients)
        assert len(history) == 9
        acked = {cid for c in clients for cid in c.acks}
        assert acked <= {cid for _, _, cid in history}
        # Sockets the restart closed were closed as "try again later" (1013, or 4013 where
        # daphne refuses 1013), never as a server crash (1011).
        codes = [code for c in clients for code in c.close_codes]
        assert 1011 not in codes, codes
    finally:
        for c in clients:
            await c.close()


async def test_server_killed_clients_move_to_the_other_and_nothing_acked_is_lost(stack):
    room = stack.make_room("fault-kill", 4)
    a, b = stack.start_server(), stack.start_server()
    clients = await connect_all(clients_for(room, [a, b], 2))
    servers = [a, b]
    try:
        # Everyone sends a stream; A dies with SIGKILL while messages are in flight.
        for n in range(3):
            for c in clients:
                await c.send(f"message {n} from {c.name}")
        await clients[0].wait_for(lambda: len(clients[0].acks) >= 1, FRAME_TIMEOUT, "an ack")
        a.kill9()
        for n in range(3, 5):
            for c in clients[2:]:
                await c.send(f"message {n} from {c.name}")
        on_a = clients[:2]
        for c in on_a:
            await c.wait_for(lambda c=c: not c.connected, FRAME_TIMEOUT, "A's sockets to drop")
        # Clients on A reconnect to B, resume and re-send their outbox (same client ids).
        await converge(clients, servers, lambda c: not c.outbox, CONVERGE_TIMEOUT, "outboxes")
        head = len(stack.history(room))
        await converge(clients, servers, at_head(head), CONVERGE_TIMEOUT, "converge")
        history = db_head_matches(stack, room, clients)
        assert len(history) == 3 * 4 + 2 * 2  # every message stored exactly once
        in_db = {cid for _, _, cid in history}
        acked = {cid for c in clients for cid in c.acks}
        assert acked == in_db
        assert all(c.server is b for c in on_a)
    finally:
        for c in clients:
            await c.close()

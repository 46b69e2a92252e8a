"""More fault tests against real processes (issue 11): revocation across two daphne processes,
the concurrent duplicate send repeated, sockets recycled by the server, and a big room with a
member who stops reading, and (under uvicorn) a reader stalled until the server's send waits.

Like tests/chat/test_fault_cluster.py: each test gets its own redis-server and daphne processes
on the module's own database (PostgreSQL when DATABASE_URL points there, else SQLite). Changes
of state go through the real services in `manage.py shell`; clients speak the real protocol
(tests/chat/faultkit.py). Every wait is a bounded wait for frames.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import pytest

from tests.chat.faultkit import (
    ChatClient,
    converge,
    db_head_matches,
    heal,
    module_database,
    stack_for_test,
)

pytestmark = pytest.mark.fault

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

# Generous bounds: CI is a busy 2-core machine. These bound waits; they are not timings.
FRAME_TIMEOUT = 20
CONVERGE_TIMEOUT = 90
CLOSE_TIMEOUT = 15
#: A revoked socket may still get what was committed up to this long after the revocation.
REVOCATION_GRACE = 2.0
#: Members who keep the room talking, in turns (each may send 10 messages per 10 s).
SPEAKERS = 6


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


def at_head(head):
    return lambda c: c.last_seq >= head and not c.needs_resume


async def close_all(clients):
    for c in clients:
        await c.close()


def created_at(stack, room) -> dict[int, float]:
    """seq -> the message's commit time (its created_at, set inside the sending transaction)."""
    return {
        int(seq): at
        for seq, at in stack.shell_json(
            f"""
import json
from chat.models import Message
rows = Message.objects.filter(room_id={room.room_id}).values_list("seq", "created_at")
print(json.dumps([[s, c.timestamp()] for s, c in rows]))
"""
        )
    }


# --- 1. revocation reaches both of a member's processes ------------------------------------

REVOKE = {
    "remove": """
from groups.models import Membership
from groups.services import membership_remove
membership_remove(membership=Membership.objects.get(group_id={group_id}, user_id={user_id}),
                  actor=User.objects.get(pk={moderator}))
""",
    "ban": """
from moderation.services import case_act, concern_raise
case = concern_raise(user=User.objects.get(pk={reporter}), group_slug="{slug}",
                     note="They keep asking people for money", subject_id={user_id})
case_act(actor=User.objects.get(pk={moderator}), case_id=case.pk, kind="ban",
         reason="Asking members for money")
""",
    "logout": """
from importlib import import_module
from django.conf import settings
store = import_module(settings.SESSION_ENGINE).SessionStore
for key in {sessions!r}:
    store(key).delete()
""",
    "password": """
user = User.objects.get(pk={user_id})
user.set_password("a brand new long passphrase")
user.save()
""",
}
EXPECTED_CLOSE = {"remove": 4403, "ban": 4403, "logout": 4401, "password": 4401}


def revoke(stack, how: str, **kw) -> float:
    """Revoke through the real app; returns the wall-clock time just after it committed."""
    code = "import json, time\nfrom accounts.models import User\n" + REVOKE[how].format(**kw)
    code += 'print(json.dumps({"at": time.time()}))\n'
    return stack.shell_json(code)["at"]


async def test_revocation_closes_the_members_sockets_on_both_servers_at_once(stack):
    """Removed, banned, logged out, password changed (a fresh member each time, logged in twice,
    a socket on each of two servers): both sockets close with the right code, and neither gets
    anything committed more than REVOCATION_GRACE after the revocation, while the others keep
    talking through it (taking turns: each member may send 10 messages per 10 s)."""
    room = stack.make_room("fault-revoke", SPEAKERS + len(REVOKE), sessions_per_member=2)
    moderator = stack.shell_json(
        """
import json
from accounts.models import User
m = User.objects.create_user("revoke-mod@example.invalid", "x" * 20, display_name="Mod",
                             is_moderator=True)
print(json.dumps(m.pk))
"""
    )
    a, b = stack.start_server(), stack.start_server()
    servers = [a, b]
    speakers = [
        ChatClient(f"speaker{i}", room.users[i]["session"], room.path) for i in range(SPEAKERS)
    ]
    for i, c in enumerate(speakers):
        await c.connect(servers[i % 2])
    clients = list(speakers)
    revoked_at: dict[str, float] = {}
    pairs: dict[str, list[ChatClient]] = {}
    k = 0
    try:
        for n, how in enumerate(REVOKE, start=SPEAKERS):
            user = room.users[n]
            pair = [
                ChatClient(f"{how}-a", user["sessions"][0], room.path),
                ChatClient(f"{how}-b", user["sessions"][1], room.path),
            ]
            await pair[0].connect(a)
            await pair[1].connect(b)
            clients += pair
            pairs[how] = pair
            # A live room before the revocation: both sockets get a message from each server.
            for c in speakers[:2]:
                await c.send(f"before {how} from {c.name}")
            for c in pair:
                await c.wait_for(
                    lambda c=c, how=how: all(
                        c.has_body(f"before {how} from {s.name}") for s in speakers[:2]
                    ),
                    FRAME_TIMEOUT,
                    "live before the revocation",
                )

            revocation = asyncio.create_task(
                asyncio.to_thread(
                    revoke,
                    stack,
                    how,
                    user_id=user["id"],
                    moderator=moderator,
                    group_id=room.group_id,
                    reporter=room.users[0]["id"],
                    slug=room.slug,
                    sessions=user["sessions"],
                )
            )
            # The room keeps talking through the revocation and for a while after it.
            while how not in revoked_at or time.time() < revoked_at[how] + 4:
                if revocation.done() and how not in revoked_at:
                    revoked_at[how] = revocation.result()
                speaker = speakers[k % SPEAKERS]
                await speaker.send(f"{how} {k} from {speaker.name}")
                k += 1
                await asyncio.sleep(0.4)  # pacing the room's typing, not waiting for an event
            for c in pair:
                await c.wait_for(lambda c=c: not c.connected, CLOSE_TIMEOUT, f"{how} close")
        for c in speakers:
            await c.wait_for(lambda c=c: not c.outbox, FRAME_TIMEOUT, "every send acked")
        committed = created_at(stack, room)
        for how, pair in pairs.items():
            for c in pair:
                assert c.close_codes and c.close_codes[-1] == EXPECTED_CLOSE[how], (
                    c.name,
                    c.close_codes,
                )
                late = [s for s in c.messages if committed[s] > revoked_at[how] + REVOCATION_GRACE]
                assert not late, f"{c.name} got {len(late)} messages committed after its revocation"
                assert c.connects == 1
                if EXPECTED_CLOSE[how] == 4401:  # told why, in words it can show
                    assert [e.get("code") for e in c.errors] == ["session_ended"]
                else:
                    assert not c.errors, c.errors
        # The room went on for the others: they have every message, in order.
        await converge(speakers, servers, at_head(len(committed)), CONVERGE_TIMEOUT, "speakers")
        db_head_matches(stack, room, speakers)
        assert all(not c.errors for c in speakers), [c.errors for c in speakers]
    finally:
        await close_all(clients)


# --- 2. the same send from two sockets at the same instant, 100 times -------------------------

DUP_ROUNDS = 100
DUP_MEMBERS = 20


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (SQLite serialises writers)")
async def test_same_client_id_from_two_servers_at_once_is_stored_once_100_times(stack):
    """A member logged in twice, a socket on each server, sends the same client id from both at
    the same instant; 100 times, with 100 client ids. Each is stored once, and both sockets are
    acked with the same message. (Members take turns: each may send 10 per 10 s, and both
    copies of a send count.)"""
    room = stack.make_room("fault-dup", DUP_MEMBERS, sessions_per_member=2)
    a, b = stack.start_server(), stack.start_server()
    pairs = []
    for i, user in enumerate(room.users):
        pair = (
            ChatClient(f"m{i}-a", user["sessions"][0], room.path),
            ChatClient(f"m{i}-b", user["sessions"][1], room.path),
        )
        await pair[0].connect(a)
        await pair[1].connect(b)
        pairs.append(pair)
    clients = [c for pair in pairs for c in pair]
    cids = [str(uuid.uuid4()) for _ in range(DUP_ROUNDS)]
    try:
        for n, cid in enumerate(cids):
            one, two = pairs[n % DUP_MEMBERS]
            body = f"the same send {n}"
            one.outbox[cid] = two.outbox[cid] = body
            await asyncio.gather(one._send_frame(cid, body), two._send_frame(cid, body))
            for c in (one, two):
                await c.wait_for(lambda c=c, cid=cid: cid in c.acks, FRAME_TIMEOUT, f"ack {n}")
            assert one.acks[cid] == two.acks[cid], f"send {n}: the acks name different messages"
        await converge(clients, [a, b], at_head(len(cids)), CONVERGE_TIMEOUT, "converge")
        history = db_head_matches(stack, room, clients)
        assert sorted(cid for _, _, cid in history) == sorted(cids), "each stored exactly once"
        acked = {cid: ack for c in clients for cid, ack in c.acks.items()}
        assert acked == {cid: (mid, seq) for seq, mid, cid in history}
        assert all(c.duplicates_dropped == 0 for c in clients)
        assert all(not c.errors for c in clients), [c.errors for c in clients if c.errors]
    finally:
        await close_all(clients)


# --- 3. the server recycles every socket -----------------------------------------------------

RECYCLE_SECONDS = 15
CHAT_SECONDS = 60


async def test_sockets_recycled_by_the_server_lose_nothing_and_duplicate_nothing(stack):
    """daphne closes every socket after `--websocket_timeout`; clients reconnect and resume
    while the room keeps talking. A 15 s timeout over 60 s of chat (rather than 30 s over two
    minutes) gives each client the same three or more reconnects at half the CI time."""
    room = stack.make_room("fault-recycle", 4)
    args = ["--websocket_timeout", str(RECYCLE_SECONDS)]
    servers = [stack.start_server(extra_args=args), stack.start_server(extra_args=args)]
    clients = [ChatClient(f"c{i}", room.users[i]["session"], room.path) for i in range(4)]
    for i, c in enumerate(clients):
        await c.connect(servers[i % 2])
    sent: list[str] = []
    try:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < CHAT_SECONDS or min(c.connects for c in clients) < 4:
            assert time.monotonic() - started < CHAT_SECONDS + 60, [c.connects for c in clients]
            sender = clients[n % len(clients)]
            sent.append(await sender.send(f"message {n} from {sender.name}"))
            n += 1
            pause = time.monotonic() + 2  # pacing the members' typing, not waiting for an event
            while time.monotonic() < pause:
                for c in clients:
                    await heal(c, servers)  # reconnect a recycled socket, resume after a gap
                waits = [asyncio.ensure_future(c._changed.wait()) for c in clients]
                for c in clients:
                    c._changed.clear()
                _, pending = await asyncio.wait(waits, timeout=0.5)
                for w in pending:
                    w.cancel()
        await converge(
            clients,
            servers,
            lambda c: not c.outbox and at_head(len(sent))(c),
            CONVERGE_TIMEOUT,
            "after",
        )
        history = db_head_matches(stack, room, clients)
        assert sorted(cid for _, _, cid in history) == sorted(sent), "no loss, no duplicate"
        assert all(c.connects >= 4 for c in clients), [c.connects for c in clients]
        assert all(c.duplicates_dropped == 0 for c in clients)
        assert all(not c.errors for c in clients), [c.errors for c in clients]
        codes = [code for c in clients for code in c.close_codes]
        assert 1011 not in codes, codes
    finally:
        await close_all(clients)


# --- 4. a big room, a burst, and a member who stops reading ----------------------------------

MEMBERS = 200
SENDERS = 20
BURST = 10
NOT_READING_SECONDS = 30
RSS_GROWTH_LIMIT = 50 * 2**20
OTHERS_TIMEOUT = NOT_READING_SECONDS - 5


async def test_big_room_burst_with_a_slow_reader(stack):
    """200 members, 20 of them send 10 messages each at once; one member's socket stops being
    read for 30 s (its TCP stream stalls: a small client queue, a 4 KiB receive buffer and no
    recv). Everyone else gets all 200 exactly once, in order, while it is stuck; the slow
    member catches up with at most one resume; the server holding its socket does not grow by
    more than RSS_GROWTH_LIMIT meanwhile.

    At this size the server's kernel send buffer takes the whole backlog (a few hundred KiB),
    so the application's sends to the stuck socket never block, under daphne or uvicorn."""
    room = stack.make_room("fault-big", MEMBERS)
    a, b = stack.start_server(), stack.start_server()
    servers = [a, b]
    slow = ChatClient("slow", room.users[0]["session"], room.path, max_queue=1, rcvbuf=4096)
    others = [ChatClient(f"c{i}", room.users[i]["session"], room.path) for i in range(1, MEMBERS)]
    clients = [slow, *others]
    try:
        await slow.connect(a)
        for start in range(0, len(others), 20):
            batch = others[start : start + 20]
            await asyncio.gather(*(c.connect(servers[i % 2]) for i, c in enumerate(batch)))
        await slow.stop_reading()
        rss_before = a.rss_bytes()
        stalled_at = time.monotonic()

        senders = others[:SENDERS]
        burst = [
            c.send(f"burst {k} from {c.name} " + "x" * 1500) for k in range(BURST) for c in senders
        ]
        await asyncio.gather(*burst)
        total = SENDERS * BURST
        # While the slow socket is stuck: one socket never holds up the others in its process.
        await converge(others, servers, at_head(total), OTHERS_TIMEOUT, "everyone else")
        assert not any(c.outbox for c in senders)

        remaining = NOT_READING_SECONDS - (time.monotonic() - stalled_at)
        if remaining > 0:
            await asyncio.sleep(remaining)  # the member's phone stays frozen this long
        rss_after = a.rss_bytes()
        assert rss_after - rss_before < RSS_GROWTH_LIMIT, (rss_before, rss_after)

        slow.start_reading()
        await converge([slow], servers, at_head(total), CONVERGE_TIMEOUT, "the slow member")
        assert (slow.connects - 1) + slow.hellos <= 1, (slow.connects, slow.hellos)

        history = db_head_matches(stack, room, clients)
        assert len(history) == total
        assert all(c.duplicates_dropped == 0 for c in others)
        assert all(not c.errors for c in clients), [c.errors for c in clients if c.errors]
        for server in servers:
            log = server.log.read_text()
            assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
        print(json.dumps({"rss_before": rss_before, "rss_after": rss_after}))
    finally:
        await close_all(clients)


# --- 5. a reader stalled long enough for the server's send to wait ---------------------------

STALL_MESSAGES = 1500  # about 6 MB of frames: more than the kernel buffers for one socket


async def test_a_stalled_reader_under_uvicorn_holds_nobody_up_and_is_sent_away_to_resume(stack):
    """Under uvicorn a send waits once a socket's buffers are full (daphne instead buffers in
    Twisted, without limit), so this one runs uvicorn. One member stops reading while another
    sends 6 MB of messages (one sender, so this server's per-member rate limit is lifted):
    the member still reading gets everything while the other is stuck; what waits for the
    stuck socket is capped, then it is closed as "try again later" and, reading again, it
    resumes with one reconnect."""
    room = stack.make_room("fault-stall", 3)
    # This one sender floods on purpose: the chat limits and the socket's flood guard are
    # lifted for this server only (they would refuse most of the burst).
    server = stack.start_server(
        "uvicorn",
        extra_env={
            "CHAT_RATE_LIMIT_COUNT": "100000",
            "CHAT_FRAME_BURST": "100000",
            "CHAT_FRAMES_PER_SECOND": "100000",
        },
    )
    slow = ChatClient("slow", room.users[0]["session"], room.path, max_queue=1, rcvbuf=4096)
    reader = ChatClient("reader", room.users[1]["session"], room.path)
    sender = ChatClient("sender", room.users[2]["session"], room.path)
    clients = [slow, reader, sender]
    try:
        for c in clients:
            await c.connect(server)
        await slow.stop_reading()
        rss_before = server.rss_bytes()
        for n in range(STALL_MESSAGES):
            await sender.send(f"{n} " + "y" * 3900)
        await converge(
            [reader, sender],
            [server],
            lambda c: not c.outbox and at_head(STALL_MESSAGES)(c),
            CONVERGE_TIMEOUT,
            "the members still reading",
        )
        rss_after = server.rss_bytes()
        assert rss_after - rss_before < RSS_GROWTH_LIMIT, (rss_before, rss_after)

        slow.start_reading()
        await converge([slow], [server], at_head(STALL_MESSAGES), CONVERGE_TIMEOUT, "slow")
        assert slow.close_codes[-1] in (1013, 4013), slow.close_codes
        assert slow.connects == 2 and slow.hellos == 0, (slow.connects, slow.hellos)
        history = db_head_matches(stack, room, [reader, sender])
        # Too far behind to replay (CHAT_RESUME_CAP): its resume is a reset to the latest page.
        assert slow.resets == 1
        assert slow.seqs() == [(seq, mid) for seq, mid, _ in history][-len(slow.messages) :]
        assert all(c.duplicates_dropped == 0 for c in clients)
        log = server.log.read_text()
        assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
    finally:
        await close_all(clients)

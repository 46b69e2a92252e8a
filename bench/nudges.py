"""Time the "we missed you" nudge job at 10,000 and 100,000 members.

    .venv/bin/python bench/nudges.py                  # SQLite files under var/bench/
    DATABASE_URL=postgres://... .venv/bin/python bench/nudges.py   # PostgreSQL (a fresh DB)

For each size it builds a world with bulk_create (50 members per group, 12 weekly meetups of
register history, the latest register just closed in every group), then runs the nudge job
once in a fresh child process and reports wall time, queries and peak memory (peak RSS of
the child above its RSS just before the job, and the child's absolute peak). It writes the
meetups section of docs/performance.md, with the machine and date, to
var/bench/nudges-section.md (paste it between the markers; the doc is shared).

Targets (issue 4): under 2 s and under 150 MB at 100,000 members, growing linearly.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- meetups:start -->", "<!-- meetups:end -->"
MEMBERS_PER_GROUP = 50
WEEKS = 12
ATTEND_RATE = 0.8
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning, outside quiet hours


def _setup(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("VILLAGE_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["HUEY_IMMEDIATE"] = "0"  # emails are queued, as in production
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _db_url(members: int) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        return base.rsplit("/", 1)[0] + f"/village_bench_nudges_{members}"
    path = ROOT / "var" / "bench" / f"nudges-{members}.sqlite3"
    return f"sqlite:///{path}"


def _fresh_database(db_url: str) -> None:
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = db_url.rsplit("/", 1)[1]
    admin = db_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(members: int) -> dict:
    """Child process: migrate and build the world with bulk_create."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # building only: the job itself runs with the defaults
            cur.execute("PRAGMA synchronous=OFF")
    from accounts.models import User
    from groups.models import Group, Membership
    from meetups.models import Attendance, Occurrence

    rng = random.Random(4)
    groups_n = members // MEMBERS_PER_GROUP
    t0 = time.perf_counter()
    groups = Group.objects.bulk_create(
        [Group(name=f"Bench group {i}", slug=f"bench-{i}") for i in range(groups_n)],
        batch_size=5000,
    )
    users = User.objects.bulk_create(
        [
            User(email=f"b{i}@bench.invalid", display_name=f"Parent {i}", password="!")
            for i in range(members)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=u,
                group=groups[i // MEMBERS_PER_GROUP],
                role="facilitator" if i % MEMBERS_PER_GROUP == 0 else "member",
                joined_at=NOW - timedelta(weeks=20),
            )
            for i, u in enumerate(users)
        ],
        batch_size=5000,
    )
    occs = []
    for g in groups:
        for w in range(WEEKS):
            start = NOW - timedelta(weeks=WEEKS - 1 - w, hours=15)  # Tuesdays 19:00 UTC
            occs.append(
                Occurrence(
                    group=g,
                    title="Weekly meetup",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=90),
                    venue_name="Hall",
                    register_closed_at=start + timedelta(hours=2),
                )
            )
    occs = Occurrence.objects.bulk_create(occs, batch_size=5000)
    by_group: dict[int, list] = {}
    for o in occs:
        by_group.setdefault(o.group_id, []).append(o)
    rows = []
    written = 0
    for gi, g in enumerate(groups):
        group_users = users[gi * MEMBERS_PER_GROUP : (gi + 1) * MEMBERS_PER_GROUP]
        for o in by_group[g.pk]:
            for u in group_users:
                if rng.random() < ATTEND_RATE:
                    rows.append(
                        Attendance(occurrence_id=o.pk, user_id=u.pk, created_at=o.starts_at)
                    )
        if len(rows) > 50000:
            Attendance.objects.bulk_create(rows, batch_size=10000)
            written += len(rows)
            rows = []
    Attendance.objects.bulk_create(rows, batch_size=10000)
    written += len(rows)
    # A live database has planner statistics (autovacuum keeps them); a freshly bulk-loaded
    # one doesn't until autovacuum gets round to it, and the plans are then absurd.
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"groups": groups_n, "attendance_rows": written, "build_s": time.perf_counter() - t0}


def reset() -> dict:
    """Child process: forget what the last run sent, so the job can run again on the same
    world (each run is in a fresh process)."""
    from meetups.models import Delivery
    from notifications.models import Notification

    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    return {}


def run_job() -> dict:
    """Child process: run the nudge job once; wall time and peak memory."""
    import gc

    import psutil
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    import notifications.services
    from meetups import services

    # A Huey worker is long-running: load the URL resolver once, as it would already have.
    reverse("home")
    pushes = {"n": 0, "s": 0.0, "calls": 0, "queue_s": 0.0, "tasks": 0}
    real_push = notifications.services.push_to_users
    real_queue = notifications.services.queue_emails

    def timed_push(events):
        t = time.perf_counter()
        real_push(events)
        pushes["calls"] += 1
        pushes["n"] += len(events)
        pushes["s"] += time.perf_counter() - t

    def timed_queue(ids):
        t = time.perf_counter()
        real_queue(ids)
        pushes["tasks"] += -(-len(ids) // notifications.services.EMAIL_BATCH)
        pushes["queue_s"] += time.perf_counter() - t

    notifications.services.push_to_users = timed_push
    notifications.services.queue_emails = timed_queue
    gc.collect()
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = base
    import threading

    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, proc.memory_info().rss)
            stop.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = services.nudges_send(now=NOW)
    elapsed = time.perf_counter() - t0
    stop.set()
    sampler.join()
    import resource

    ru_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "seconds": elapsed,
        "peak_mb_above_start": (max(peak, ru_peak if ru_peak > base else peak) - base) / 2**20,
        "peak_rss_mb": max(peak, ru_peak) / 2**20,
        "nudges": result.sent,
        "push_seconds": pushes["s"],
        "pushes": pushes["n"],
        "push_calls": pushes["calls"],
        "email_queue_seconds": pushes["queue_s"],
        "email_tasks": pushes["tasks"],
        "queries": len(queries.captured_queries),
        "channel_layer": type(__import__("channels.layers").layers.get_channel_layer()).__name__,
        "suggestions": result.suggestions,
    }


def _child(mode: str, members: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, mode, str(members)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _db_url(members)},
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} {members} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    try:
        import psutil

        mem = f", {psutil.virtual_memory().total / 2**30:.0f} GB RAM"
        cpus = f"{psutil.cpu_count(logical=True)} CPUs"
    except ImportError:  # pragma: no cover
        mem, cpus = "", f"{os.cpu_count()} CPUs"
    system = f"{platform.machine()} {platform.system()} {platform.release()}"
    load = f", load average {os.getloadavg()[0]:.1f} (other work was running)"
    return f"{system}, {cpus}{mem}, Python {platform.python_version()}{load}"


def write_doc(figures: list[dict], engine: str) -> Path:
    """Write the meetups section to var/bench/nudges-section.md. docs/performance.md is shared
    with other sections: paste it between the meetups markers by hand (never rewrite the file
    from here, another section may be being edited)."""
    lines = [
        START,
        "## Meetups: the nudge job",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}, {engine}, by "
        "`bench/nudges.py`.",
        "",
        f"Each group has {MEMBERS_PER_GROUP} members and {WEEKS} weekly meetups of register "
        f"history (each member came {ATTEND_RATE:.0%} of the time, at random); every group's "
        "latest register has just closed, so the job decides for every member at once. Time, "
        "queries and memory are for `meetups.services.nudges_send` in a fresh "
        "process (the median of several runs, each run listed in brackets; the world is "
        "reset between runs), including its after-commit work (bell pushes and queueing the "
        "emails; the emails themselves are sent later by Huey workers). Memory: peak RSS above the "
        "process's size before the job; in brackets the whole process.",
        "",
        "| Members | Groups | Attendance rows | Nudges | Check-in suggestions | Time | Queries "
        "| Bell pushes | Email tasks queued | Peak memory |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(
            f"| {f['members']:,} | {f['groups']:,} | {f['attendance_rows']:,} | {f['nudges']:,} | "
            f"{f['suggestions']:,} | {f['seconds']:.2f} s "
            f"({', '.join(f'{t:.2f}' for t in f['all_seconds'])}) | {f['queries']} | "
            f"{f['pushes']:,} in {f['push_calls']} call(s), {f['push_seconds']:.2f} s | "
            f"{f['email_tasks']} in {f['email_queue_seconds']:.2f} s | "
            f"{f['peak_mb_above_start']:.0f} MB ({f['peak_rss_mb']:.0f} MB) |"
        )
    big = figures[-1]
    ok_t = big["seconds"] < 2
    ok_m = big["peak_mb_above_start"] < 150
    lines += [
        "",
        f"Channel layer: {big['channel_layer']}. Target at {big['members']:,} members: under 2 s "
        f"({'met' if ok_t else 'NOT met'}) and under 150 MB ({'met' if ok_m else 'NOT met'}).",
    ]
    if len(figures) == 2:
        ratio_t = figures[1]["seconds"] / max(figures[0]["seconds"], 1e-9)
        ratio_m = figures[1]["peak_mb_above_start"] / max(figures[0]["peak_mb_above_start"], 1e-9)
        lines.append(
            f"From {figures[0]['members']:,} to {figures[1]['members']:,} members time grew "
            f"{ratio_t:.1f}x and memory {ratio_m:.1f}x (10x would be linear)."
        )
    lines.append(END)
    out = ROOT / "var" / "bench" / "nudges-section.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("build", "run", "reset"):
        _setup(os.environ["DATABASE_URL"])
        mode = sys.argv[1]
        result = (
            build(int(sys.argv[2])) if mode == "build" else run_job() if mode == "run" else reset()
        )
        print(json.dumps(result))
        return
    args = sys.argv[1:]
    runs = 3
    if args[:1] == ["--runs"]:
        runs, args = int(args[1]), args[2:]
    sizes = [int(s) for s in args] or [10_000, 100_000]
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    figures = []
    for members in sizes:
        _fresh_database(_db_url(members))
        built = _child("build", members)
        tries = []
        for i in range(runs):
            if i:
                _child("reset", members)
            tries.append(_child("run", members))
        # The machine is shared: report the median run by time (all runs in the doc).
        ran = sorted(tries, key=lambda r: r["seconds"])[len(tries) // 2]
        ran["all_seconds"] = [round(r["seconds"], 2) for r in tries]
        fig = {"members": members, **built, **ran}
        figures.append(fig)
        print(
            f"{members:>7,} members: {ran['seconds']:.2f} s, "
            f"peak {ran['peak_mb_above_start']:.0f} MB above start "
            f"({ran['peak_rss_mb']:.0f} MB process), {ran['nudges']:,} nudges "
            f"[built in {built['build_s']:.0f} s]",
            flush=True,
        )
    out = write_doc(figures, engine)
    print(json.dumps(figures, indent=1))
    print(f"wrote {out.relative_to(ROOT)}: paste it into {DOC.relative_to(ROOT)} by hand")


if __name__ == "__main__":
    main()

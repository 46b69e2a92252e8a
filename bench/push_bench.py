"""Web push at scale: the nudge job with members subscribed on two devices, and how fast Huey
workers push (encryption and VAPID included) to a push service on this machine.

    .venv/bin/python bench/push_bench.py 100000            # SQLite files under var/bench/
    DATABASE_URL=postgres://... .venv/bin/python bench/push_bench.py 20000

1. Builds the nudge bench's world (bench/nudges.py: 50 members a group, 12 weeks of
   registers, every group's latest register just closed), then subscribes 10 % of the members
   on two devices each (real P-256 keys), endpoints at a local push service (a separate
   process; HTTP/1.1, answers 201 at once). Subscribed members have quiet hours off, so the
   run doesn't depend on the hour it is run at.
2. Runs the nudge job once in a fresh process with Huey queued (not immediate): time, peak
   memory and queries of `nudges_send` including its after-commit work (bell pushes and
   queueing the email and push tasks).
3. Pushes: queues `push_notifications` tasks for every nudge plus one notification for each
   subscribed member (so every device gets at least one push), WEBPUSH_BATCH a task, and
   drains the queue with a real `manage.py run_huey -k process -n` consumer of 1 worker, then
   (after forgetting the deliveries) 2 workers. Reported: pushes, wall time from the first
   push to the last at the push service, pushes per second, per worker.

Prints a markdown section for docs/performance.md to var/bench/push-section.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import nudges  # noqa: E402  (the world builder this bench shares)

SUBSCRIBED = 0.10
DEVICES = 2
VAR = ROOT / "var" / "bench" / "push"


def _db_url(members: int) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        return base.rsplit("/", 1)[0] + f"/village_bench_push_{members}"
    return f"sqlite:///{VAR / f'push-{members}.sqlite3'}"


def _env(members: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _db_url(members),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VILLAGE_VAR_DIR": str(VAR),
        "HUEY_IMMEDIATE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def _setup() -> None:
    import django

    django.setup()


# --- the local push service (its own process) -------------------------------------------


def serve(port_file: str) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stats = {"count": 0, "first": None, "last": None}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.time()
            stats["count"] += 1
            stats["first"] = stats["first"] or now
            stats["last"] = now
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            body = json.dumps(stats).encode()
            if self.path == "/reset":
                stats.update(count=0, first=None, last=None)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _stats(port: int, reset: bool = False) -> dict:
    from urllib.request import urlopen

    with urlopen(f"http://127.0.0.1:{port}/{'reset' if reset else 'stats'}") as r:
        return json.loads(r.read())


# --- child processes ---------------------------------------------------------------------


def build(members: int, port: int) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from config.vapid import b64url

    built = nudges.build(members)
    from accounts.models import User
    from notifications.models import PushSubscription, QuietHours

    t0 = time.perf_counter()
    ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    chosen = ids[:: int(1 / SUBSCRIBED)]
    QuietHours.objects.bulk_create([QuietHours(user_id=u, enabled=False) for u in chosen])
    subs = []
    for uid in chosen:
        for d in range(DEVICES):
            key = ec.generate_private_key(ec.SECP256R1()).public_key()
            raw = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            subs.append(
                PushSubscription(
                    user_id=uid,
                    endpoint=f"http://127.0.0.1:{port}/push/{uid}-{d}",
                    p256dh=b64url(raw),
                    auth=b64url(os.urandom(16)),
                    name=f"Phone {d}",
                    browser_key="bench",
                )
            )
    PushSubscription.objects.bulk_create(subs, batch_size=5000)
    built.update(subscribed=len(chosen), devices=len(subs), subs_s=time.perf_counter() - t0)
    return built


def run_job() -> dict:
    import gc
    import threading

    import psutil
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from huey.contrib.djhuey import HUEY

    import notifications.services as ns
    from meetups import services

    HUEY.flush()
    reverse("home")
    queued = {"push_tasks": 0, "push_s": 0.0}
    real = ns.queue_pushes

    def timed(ids):
        t = time.perf_counter()
        real(ids)
        queued["push_s"] += time.perf_counter() - t
        queued["push_tasks"] += -(-len(ids) // 500)

    ns.queue_pushes = timed
    gc.collect()
    proc = psutil.Process()
    base = peak = proc.memory_info().rss
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, proc.memory_info().rss)
            stop.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        result = services.nudges_send(now=nudges.NOW)
    elapsed = time.perf_counter() - t0
    stop.set()
    sampler.join()
    return {
        "seconds": elapsed,
        "peak_mb": (peak - base) / 2**20,
        "rss_mb": peak / 2**20,
        "queries": len(q.captured_queries),
        "nudges": result.sent,
        **queued,
    }


def queue_pushes() -> dict:
    """Forget earlier deliveries, empty the queue, and queue the push tasks: every nudge, and
    one notification for each subscribed member."""
    from django.db import transaction
    from huey.contrib.djhuey import HUEY

    import notifications.services as ns
    from notifications.models import Notification, PushDelivery, PushSubscription

    HUEY.flush()
    PushDelivery.objects.all().delete()
    extra = Notification.objects.filter(kind="meetup_change", title="Bench")
    if not extra.exists():
        users = sorted(set(PushSubscription.objects.values_list("user_id", flat=True)))
        real = ns._queue_deliveries
        ns._queue_deliveries = lambda ids, email: None
        with transaction.atomic():
            ns.notify_many(
                [ns.Note(user_id=u, kind="meetup_change", title="Bench", url="/") for u in users]
            )
        ns._queue_deliveries = real
    ids = list(
        Notification.objects.filter(kind__in=["missed_you", "meetup_change"])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ns.queue_pushes(ids)
    subscribed = set(PushSubscription.objects.values_list("user_id", flat=True))
    expected = (
        Notification.objects.filter(pk__in=ids, user_id__in=subscribed).count() * DEVICES
    )
    return {"notifications": len(ids), "expected": expected, "tasks": HUEY.pending_count()}


def progress() -> dict:
    from huey.contrib.djhuey import HUEY

    from notifications.models import PushDelivery

    return {
        "pending": HUEY.pending_count(),
        "sent": PushDelivery.objects.filter(state="sent").count(),
        "other": PushDelivery.objects.exclude(state="sent").count(),
    }


def _child(mode: str, members: int, *args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, mode, str(members), *map(str, args)],
        cwd=ROOT,
        env=_env(members),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} {members} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def drain(members: int, workers: int, port: int) -> dict:
    queued = _child("queue", members)
    _stats(port, reset=True)
    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "-k", "process", "-w", str(workers), "-n"],
        cwd=ROOT,
        env=_env(members),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import psutil

    t0 = time.time()
    cpu = 0.0
    seen: dict[int, psutil.Process] = {}
    try:
        while True:
            time.sleep(0.5)
            # The consumer and its worker processes, for their CPU time at the end.
            top = psutil.Process(consumer.pid)
            for p in [top, *top.children(recursive=True)]:
                seen.setdefault(p.pid, p)
            stats = _stats(port)
            if stats["count"] >= queued["expected"]:
                break
            if time.time() - t0 > 900:
                raise SystemExit(f"gave up: {stats} of {queued}")
        for p in seen.values():
            try:
                times = p.cpu_times()
                cpu += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
    done = _child("progress", members)
    span = (stats["last"] or 0) - (stats["first"] or 0)
    return {
        "workers": workers,
        "pushes": stats["count"],
        "expected": queued["expected"],
        "tasks": queued["tasks"],
        "sent_rows": done["sent"],
        "span_s": span,
        "wall_s": time.time() - t0,
        "per_s": stats["count"] / span if span else 0.0,
        "cpu_s": cpu,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] in ("build", "run", "queue", "progress"):
        _setup()
        mode, members = sys.argv[1], int(sys.argv[2])
        out = {
            "build": lambda: build(members, int(sys.argv[3])),
            "run": run_job,
            "queue": queue_pushes,
            "progress": progress,
        }[mode]()
        print(json.dumps(out))
        return
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
        return
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    VAR.mkdir(parents=True, exist_ok=True)
    for leftover in VAR.glob("huey.sqlite3*"):
        leftover.unlink()
    nudges._fresh_database(_db_url(members))
    port_file = VAR / "push-port"
    port_file.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, __file__, "serve", str(port_file)], cwd=ROOT)
    try:
        while not port_file.exists():
            time.sleep(0.05)
        port = int(port_file.read_text())
        built = _child("build", members, port)
        print(f"built {members:,} members, {built['devices']:,} devices", flush=True)
        job = _child("run", members)
        print(f"nudge job: {job}", flush=True)
        runs = [drain(members, w, port) for w in (1, 2)]
        for r in runs:
            print(f"workers {r['workers']}: {r}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    write_doc(members, built, job, runs)


def write_doc(members: int, built: dict, job: dict, runs: list[dict]) -> None:
    engine = "PostgreSQL" if _db_url(members).startswith("postgres") else "SQLite"
    lines = [
        "## Web push: the nudge job with phones, and pushes per Huey worker",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {nudges._machine()}, {engine}, by "
        f"`bench/push_bench.py {members}`.",
        "",
        f"{members:,} members ({built['groups']:,} groups, the nudge bench's world); "
        f"{built['subscribed']:,} of them ({SUBSCRIBED:.0%}) subscribed on {DEVICES} devices "
        f"each ({built['devices']:,} devices), endpoints at a push service on this machine.",
        "",
        "| Nudge job | Nudges | Time | Queries | Push tasks queued | Peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| `nudges_send` | {job['nudges']:,} | {job['seconds']:.2f} s | {job['queries']} | "
        f"{job['push_tasks']} in {job['push_s']:.2f} s | {job['peak_mb']:.0f} MB "
        f"({job['rss_mb']:.0f} MB) |",
        "",
        "| Huey workers (processes) | Tasks | Pushes | First to last push | Pushes/s "
        "| Per worker | Consumer CPU | Pushes per CPU second | Load average |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['workers']} | {r['tasks']} | {r['pushes']:,} | {r['span_s']:.1f} s | "
            f"{r['per_s']:.0f} | {r['per_s'] / r['workers']:.0f} | {r['cpu_s']:.1f} s | "
            f"{r['pushes'] / max(r['cpu_s'], 1e-9):.0f} | {r['load']:.1f} |"
        )
    out = ROOT / "var" / "bench" / "push-section.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

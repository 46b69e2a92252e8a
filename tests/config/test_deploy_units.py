"""deploy/: the systemd units' own commands, run for real. Each ExecStart is read from the
unit file and started as written, with only the install prefix (/opt/village/venv/bin) and
the machine's paths swapped for this checkout's: migrations and the deploy check, two web
processes on ports, one on a Unix socket, and the Huey consumer, which runs the job that
makes /readyz ready. The compose file cannot be run here (no container engine); its commands
are checked to be the units' commands."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.chat.faultkit import BIN, Database, RedisServer, free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PREFIX = "/opt/village/venv/bin/"

pytestmark = pytest.mark.fault


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's keys (repeatable ones, like ExecStart, keep every value)."""
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def command(exec_start: str, *, instance: str = "", run_dir: Path | None = None) -> list[str]:
    argv = shlex.split(exec_start.replace("%i", instance))
    if run_dir is not None:
        argv = [a.replace("/run/village", str(run_dir)) for a in argv]
    program = argv[0]
    assert program.startswith(PREFIX), program
    name = program.removeprefix(PREFIX)
    if name == "village":  # the console script: config.cli:main (pyproject [project.scripts])
        return [sys.executable, "-m", "config.cli", *argv[1:]]
    return [str(BIN / name), *argv[1:]]


def env_file() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "village.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return values


@pytest.fixture
def machine(tmp_path):
    redis = RedisServer(tmp_path).start()
    db = Database(tmp_path, name=f"village_units_{os.getpid()}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(env_file())
    env.update(
        SECRET_KEY="units-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=db.url,
        REDIS_URL=redis.url,
        VILLAGE_REDIS_PREFIX=f"village-units-{os.getpid()}",
        VILLAGE_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        EMAIL_HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        VILLAGE_METRICS_TOKEN="units-metrics-token",
    )
    env.pop("HUEY_IMMEDIATE", None)
    procs: list[subprocess.Popen] = []
    try:
        yield tmp_path, env, procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        redis.stop()
        db.drop()


def start(argv, env, cwd, log: Path, procs) -> subprocess.Popen:
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    procs.append(proc)
    return proc


def get(port: int, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "localhost"})
    r = conn.getresponse()
    return r.status, r.read()


def test_the_units_commands_run_the_site(machine):
    tmp, env, procs = machine
    work = tmp / "work"  # WorkingDirectory
    work.mkdir()

    (tmp / "metrics").mkdir()
    (tmp / "metrics" / "counter_1.db").write_bytes(b"left by an earlier run")
    reset = unit("village-metrics.service")["ExecStart"][0]
    subprocess.run(command(reset), cwd=work, env=env, check=True, timeout=120)
    assert list((tmp / "metrics").iterdir()) == []

    migrate = unit("village-migrate.service")
    assert migrate["WorkingDirectory"] == ["/var/lib/village"]
    for line in migrate["ExecStart"]:
        result = subprocess.run(command(line), cwd=work, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, line + "\n" + result.stdout + result.stderr

    web = unit("village-daphne@.service")["ExecStart"][0]
    ports = [free_port(), free_port()]
    servers = [start(command(web, instance=str(p)), env, work, tmp / f"web{p}.log", procs)
               for p in ports]
    run_dir = tmp / "run"
    run_dir.mkdir()
    unix = unit("village-daphne-unix@.service")["ExecStart"][0]
    start(command(unix, instance="1", run_dir=run_dir), env, work, tmp / "unix.log", procs)
    huey = unit("village-huey.service")["ExecStart"][0]
    consumer = start(command(huey), env, work, tmp / "huey.log", procs)

    for port, proc in zip(ports, servers, strict=True):
        wait_port(port, proc, 60, tmp / f"web{port}.log")
        assert get(port, "/healthz") == (200, b"ok")

    sock_path = run_dir / "daphne-1.sock"
    deadline = time.monotonic() + 60
    while not sock_path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock_path))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"ok")

    # The consumer runs jobs: it takes the heartbeat job from the queue, and /readyz on
    # both web processes turns ready.
    subprocess.run([sys.executable, "-m", "config.cli", "shell", "-c",
                    "from config.tasks import heartbeat; heartbeat()"],
                   cwd=work, env=env, check=True, timeout=120)
    deadline = time.monotonic() + 60
    while True:
        answers = [get(port, "/readyz") for port in ports]
        if all(status == 200 for status, _ in answers):
            break
        assert consumer.poll() is None, (tmp / "huey.log").read_text()[-3000:]
        assert time.monotonic() < deadline, answers
        time.sleep(0.5)
    assert json.loads(answers[0][1])["status"] == "ready"

    # /metrics on either web process adds up every process's numbers: the three /healthz
    # above (two ports and the socket) and the heartbeat job the consumer ran.
    conn = http.client.HTTPConnection("127.0.0.1", ports[1], timeout=10)
    conn.request("GET", "/metrics", headers={"Host": "localhost",
                                             "Authorization": "Bearer units-metrics-token"})
    scrape = conn.getresponse()
    text = scrape.read().decode()
    assert scrape.status == 200, text[:500]
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert samples[("village_http_requests_total", healthz)] == 3
    assert samples[("village_job_duration_seconds_count", (("job", "heartbeat"),))] >= 1
    assert samples[("village_huey_queue_reachable", ())] == 1
    for log in tmp.glob("*.log"):
        text = log.read_text()
        assert "Traceback" not in text, f"{log.name}:\n{text[-3000:]}"


def test_compose_runs_the_same_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web1", "web2", "huey", "caddy", "migrate"} <= set(services)

    def args(exec_start: str) -> list[str]:
        return shlex.split(exec_start)

    web = args(unit("village-daphne@.service")["ExecStart"][0])
    for name in ("web1", "web2"):
        cmd = services[name]["command"]
        # The same program and application; only the address differs (0.0.0.0 in a container).
        assert cmd[0] == web[0] and cmd[-1] == web[-1] and cmd[1:5] == ["-b", "0.0.0.0", "-p",
                                                                         "8001"]
        assert services[name]["environment"]["REDIS_URL"].startswith("redis://")
    assert services["huey"]["command"] == args(unit("village-huey.service")["ExecStart"][0])
    assert services["migrate"]["command"] == args(unit("village-migrate.service")["ExecStart"][0])
    assert "web1:8001 web2:8001" in services["caddy"]["environment"]["VILLAGE_UPSTREAMS"]
    assert (DEPLOY / "Caddyfile").exists() and (DEPLOY / "Dockerfile").exists()

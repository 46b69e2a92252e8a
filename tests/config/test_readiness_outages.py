"""/readyz through real outages: a daphne process reaches PostgreSQL and Redis through TCP
proxies (tests/chat/faultkit.py) that the test kills and starts again. Each outage turns
/readyz to 503 naming the part that failed, and back to 200 when it returns; the body never
carries a host, a port or a password; nothing is logged at ERROR.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.chat.faultkit import Stack, TcpProxy

pytestmark = pytest.mark.fault


def get_readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_for(port: int, status: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got, body = get_readyz(port)
        if got == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz stayed {got}, wanted {status}: {body}")
        time.sleep(0.3)


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    # Huey on Redis for real (not inline): the heartbeat goes through the shared storage.
    s.env["HUEY_IMMEDIATE"] = "0"
    s.start()
    try:
        yield s
    finally:
        s.close()


def test_readyz_follows_postgres_and_redis_outages(stack):
    if not stack.db.is_postgres:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    db_url = urllib.parse.urlsplit(stack.db.url)
    pg_proxy = TcpProxy(db_url.port or 5432).start()
    redis_proxy = TcpProxy(stack.redis.port).start()
    via = db_url._replace(netloc=f"{db_url.username or 'postgres'}@127.0.0.1:{pg_proxy.port}")
    env = {
        "DATABASE_URL": urllib.parse.urlunsplit(via),
        "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/0",
        "VILLAGE_READY_TIMEOUT": "2",
    }
    try:
        server = stack.start_server(extra_env=env)
        # What the Huey consumer's every-minute job does, from another process.
        stack.env.update(env)
        stack.shell("from config.tasks import heartbeat; heartbeat.call_local()")

        body = wait_for(server.port, 200)
        assert body["status"] == "ready"
        assert set(body["checks"]) == {"database", "redis", "queue", "periodic_jobs"}

        pg_proxy.kill()
        body = wait_for(server.port, 503)
        assert body["checks"]["database"] == {
            "ok": False, "seconds": body["checks"]["database"]["seconds"],
            "error": "The database did not answer.",
        }
        assert body["checks"]["redis"]["ok"] and body["checks"]["periodic_jobs"]["ok"]
        pg_proxy.start()
        wait_for(server.port, 200)

        redis_proxy.kill()
        body = wait_for(server.port, 503)
        assert body["checks"]["database"]["ok"]
        assert body["checks"]["redis"] == {
            "ok": False, "seconds": body["checks"]["redis"]["seconds"],
            "error": "Redis did not answer.",
        }
        assert not body["checks"]["queue"]["ok"]  # Huey's queue lives in Redis too
        text = json.dumps(body)
        for private in (str(redis_proxy.port), str(pg_proxy.port), "127.0.0.1", "postgres"):
            assert private not in text
        redis_proxy.start()
        wait_for(server.port, 200, timeout=60)

        log = server.log.read_text()
        assert " ERROR " not in log and "Traceback" not in log, log[-4000:]
        assert "Not ready: database" in log and "Not ready: redis" in log
    finally:
        pg_proxy.kill()
        redis_proxy.kill()

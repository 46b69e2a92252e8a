"""Real processes for fault tests (and the benchmark): Redis, a database, daphne/uvicorn, and a
small websocket chat client that follows docs/chat-protocol.md.

Nothing here touches the shared Redis on 6379: every stack starts its own redis-server on a
free port. On PostgreSQL a dedicated database is created (and dropped) per stack; otherwise a
SQLite file in a temporary directory. Users, the group, memberships and login sessions are
created through `manage.py shell` against that database, exactly as a server would see them.

Every wait here is bounded: processes are awaited by polling their port with a deadline, and
frames are awaited with timeouts (never a sleep standing in for an event).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port: int, proc: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    """Poll until something listens on `port` (or the process dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(
        f"process {proc.args[:3]} did not listen on {port} (rc={proc.poll()})\n{tail}"
    )


def wait_port_closed(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} still open after {timeout}s")


# --- Redis -----------------------------------------------------------------------------------
class RedisServer:
    """A throwaway redis-server (no persistence: a restart forgets everything)."""

    def __init__(self, tmp: Path, port: int | None = None):
        self.tmp = tmp
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = tmp / f"redis-{self.port}.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, cpus: Iterable[int] | None = None) -> RedisServer:
        log = open(self.log, "a")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--maxclients",
                "20000",
                "--dir",
                str(self.tmp),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_affinity(cpus),
        )
        log.close()
        wait_port(self.port, self.proc, 20, self.log)
        return self

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        wait_port_closed(self.port, 10)

    def restart(self) -> None:
        """kill -9, then a new empty redis-server on the same port."""
        self.kill9()
        self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _affinity(cpus: Iterable[int] | None) -> Callable[[], None] | None:
    if cpus is None:
        return None
    cpu_set = set(cpus)

    def pin() -> None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpu_set)

    return pin


# --- Database --------------------------------------------------------------------------------
class Database:
    """A dedicated database: PostgreSQL if DATABASE_URL points there, else a SQLite file."""

    def __init__(self, tmp: Path, base_url: str | None = None, name: str | None = None):
        base_url = os.environ.get("DATABASE_URL", "") if base_url is None else base_url
        self.pg_admin = None
        self.name = None
        if base_url.startswith(("postgres://", "postgresql://")):
            import psycopg

            self.name = name or f"village_fault_{uuid.uuid4().hex[:8]}"
            self.pg_admin = base_url.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = base_url.rsplit("/", 1)[0] + f"/{self.name}"
        else:
            self.url = f"sqlite:///{tmp / 'fault.sqlite3'}"

    @property
    def is_postgres(self) -> bool:
        return self.pg_admin is not None

    def drop(self) -> None:
        if self.pg_admin:
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- App servers -----------------------------------------------------------------------------
@dataclass
class AppServer:
    port: int
    proc: subprocess.Popen
    log: Path
    kind: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """utime + stime of the server process, from /proc/<pid>/stat."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


class Stack:
    """One isolated Village: its own Redis, database, and any number of app servers."""

    def __init__(
        self,
        tmp: Path,
        *,
        base_db_url: str | None = None,
        settings: str | None = None,
        db_name: str | None = None,
        db: Database | None = None,
    ):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(self.tmp)
        self.own_db = db is None
        self.db = db or Database(self.tmp, base_db_url, name=db_name)
        self.servers: list[AppServer] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": settings or "config.settings",
                "DATABASE_URL": self.db.url,
                "REDIS_URL": self.redis.url,
                "SECRET_KEY": "fault-" + uuid.uuid4().hex * 2,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": "http://127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "SECURE_COOKIES": "0",
                "SECURE_HSTS_SECONDS": "0",
                "HUEY_IMMEDIATE": "1",
                "VILLAGE_REQUIRE_MFA_FOR_STAFF": "0",
                "VILLAGE_VAR_DIR": str(self.tmp / "var"),
                # No collectstatic for these servers: plain static names, from the source.
                "STATIC_MANIFEST": "0",
                "VILLAGE_REDIS_PREFIX": f"village-fault-{uuid.uuid4().hex[:8]}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        layer = os.environ.get("VILLAGE_FAULT_LAYER")  # e.g. "pubsub": bench/village_settings.py
        if layer and settings is None:
            self.env.update(
                {"DJANGO_SETTINGS_MODULE": "bench.village_settings", "BENCH_LAYER": layer}
            )

    # -- lifecycle
    def start(
        self, *, migrate: bool | None = None, redis_cpus: Iterable[int] | None = None
    ) -> Stack:
        self.redis.start(cpus=redis_cpus)
        if migrate is None:
            migrate = self.own_db or not getattr(self.db, "migrated", False)
        if migrate:
            self.manage("migrate", "--noinput", "--skip-checks")
            self.db.migrated = True
        return self

    def close(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        if self.own_db:
            with contextlib.suppress(Exception):
                self.db.drop()

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def shell(self, code: str, timeout: float = 300) -> str:
        return self.manage("shell", "-c", code, timeout=timeout)

    def shell_json(self, code: str, timeout: float = 300) -> Any:
        """Run code that prints one JSON document on its last line; return it."""
        out = self.shell(code, timeout=timeout).strip().splitlines()
        return json.loads(out[-1])

    def start_server(
        self,
        kind: str | None = None,
        *,
        app: str = "config.asgi:application",
        cpus: Iterable[int] | None = None,
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
        backlog: int | None = None,
        extra_args: Iterable[str] = (),
    ) -> AppServer:
        """Start an app server; `extra_args` go on its command line before the application
        (e.g. daphne's `--websocket_timeout 15`)."""
        # The fault tests run under daphne; VILLAGE_FAULT_SERVER=uvicorn runs them under uvicorn.
        kind = kind or os.environ.get("VILLAGE_FAULT_SERVER", "daphne")
        port = port or free_port()
        log = self.tmp / f"{kind}-{port}.log"
        if kind == "daphne" and backlog:  # Twisted listens with a backlog of 50 by default
            endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog={backlog}"
            cmd = [str(BIN / "daphne"), "-e", endpoint, app]
        elif kind == "daphne":
            cmd = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
        elif kind == "uvicorn":
            cmd = [
                str(BIN / "uvicorn"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--ws",
                "websockets",
                app,
            ]
        else:
            raise ValueError(kind)
        cmd[-1:-1] = list(extra_args)
        logf = open(log, "w")  # noqa: SIM115
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=logf,
            stderr=subprocess.STDOUT,
            preexec_fn=_affinity(cpus),
        )
        logf.close()
        wait_port(port, proc, 60, log)
        server = AppServer(port=port, proc=proc, log=log, kind=kind)
        self.servers.append(server)
        return server

    # -- data
    def make_room(self, slug: str, members: int, *, sessions_per_member: int = 1) -> Room:
        """A listed open group with `members` active members, its room, and login sessions
        for each member (made by the server's own SessionStore)."""
        return self.make_rooms([(slug, members, sessions_per_member)])[0]

    def make_rooms(self, specs: list[tuple[str, int, int]]) -> list[Room]:
        """Several rooms in one `manage.py shell` run: [(slug, members, sessions each)]."""
        code = f"""
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from accounts.models import User
from groups.models import Group, Membership
from chat.services import room_for_group
engine = import_module(settings.SESSION_ENGINE)
result = []
for slug, members, per_member in {specs!r}:
    out = {{"users": []}}
    with transaction.atomic():
        group = Group.objects.create(name="Fault " + slug, slug=slug)
        room = room_for_group(group.pk)
        User.objects.bulk_create([
            User(email=f"{{slug}}-{{i}}@example.invalid", display_name=f"Member {{i}}",
                 password="!")
            for i in range(members)
        ])
        users = list(User.objects.filter(email__endswith="@example.invalid",
                                         email__startswith=slug + "-").order_by("id"))
        Membership.objects.bulk_create([
            Membership(user=u, group=group, role="member", status="active") for u in users
        ])
    for u in users:
        keys = []
        for _ in range(per_member):
            s = engine.SessionStore()
            s[SESSION_KEY] = str(u.pk)
            s[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
            s[HASH_SESSION_KEY] = u.get_session_auth_hash()
            s.create()
            keys.append(s.session_key)
        out["users"].append({{"id": u.pk, "sessions": keys}})
    out["slug"] = slug
    out["group_id"] = group.pk
    out["room_id"] = room.pk
    result.append(out)
print(json.dumps(result))
"""
        rooms = []
        for data in self.shell_json(code, timeout=900):
            for u in data["users"]:
                u["session"] = u["sessions"][0]
            rooms.append(
                Room(
                    slug=data["slug"],
                    group_id=data["group_id"],
                    room_id=data["room_id"],
                    users=data["users"],
                )
            )
        return rooms

    def history(self, room: Room) -> list[tuple[int, int, str]]:
        """The room's messages from the database: (seq, message id, client id) by seq."""
        code = f"""
import json
from chat.models import Message
rows = Message.objects.filter(room_id={room.room_id}).order_by("seq")
print(json.dumps([[m.seq, m.pk, str(m.client_id)] for m in rows]))
"""
        return [tuple(r) for r in self.shell_json(code)]


@dataclass
class Room:
    slug: str
    group_id: int
    room_id: int
    users: list[dict[str, Any]]

    @property
    def path(self) -> str:
        return f"/ws/groups/{self.slug}/chat/"


# --- pytest fixture bodies (each test module wraps them in its own fixtures) -----------------
def module_database(tmp_path_factory) -> Iterator[Database]:
    """One migrated database per test module (each test uses its own group in it)."""
    db = Database(tmp_path_factory.mktemp("fault-db"))
    try:
        yield db
    finally:
        db.drop()


def stack_for_test(tmp_path: Path, db: Database) -> Iterator[Stack]:
    """A private Redis and app servers for one test, on the module's database."""
    s = Stack(tmp_path, db=db).start()
    try:
        yield s
    finally:
        s.close()


# --- Client ----------------------------------------------------------------------------------
DURABLE = {
    "message.created",
    "message.edited",
    "message.deleted",
    "reaction.changed",
    "message.pinned",
    "message.unpinned",
    "message.hidden",
    "message.restored",
    "room.updated",
    "skip",
}


class Closed(Exception):
    pass


@dataclass
class ChatClient:
    """A protocol-following client: resumes from its last applied seq, applies message events
    strictly in order, keeps an outbox of unacked sends and re-sends it after a reconnect."""

    name: str
    session: str
    path: str
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> message
    last_seq: int = 0
    head: int = 0
    acks: dict[str, tuple[int, int]] = field(default_factory=dict)  # client_id -> (id, seq)
    outbox: dict[str, str] = field(default_factory=dict)
    close_codes: list[int | None] = field(default_factory=list)
    duplicates_dropped: int = 0
    gaps_seen: int = 0
    resets: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    connects: int = 0
    hellos: int = 0  # resumes asked on an open socket (after a detected gap)
    max_queue: int | None = None  # small: a reader that stops reading stops the TCP stream
    rcvbuf: int | None = None  # a small kernel receive buffer: the stall reaches the server soon

    def __post_init__(self):
        self.ws = None
        self.server: AppServer | None = None
        self._reader: asyncio.Task | None = None
        self._changed = asyncio.Event()
        self.needs_resume = False

    # -- connection
    @property
    def connected(self) -> bool:
        return self.ws is not None and self._reader is not None and not self._reader.done()

    async def connect(self, server: AppServer, timeout: float = 15) -> None:
        import websockets

        await self.close()
        self.server = server
        self.needs_resume = False
        sock = None
        if self.rcvbuf:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
        ws = await asyncio.wait_for(
            websockets.connect(
                server.ws_url(self.path),
                sock=sock,
                additional_headers={"Cookie": f"sessionid={self.session}"},
                origin=server.origin,
                open_timeout=timeout,
                compression=None,
                proxy=None,
                ping_interval=None,  # like a browser: the client itself sends nothing
                max_size=2**22,
                **({"max_queue": self.max_queue} if self.max_queue else {}),
            ),
            timeout + 1,
        )
        self.ws = ws
        self.connects += 1
        await ws.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
        # Resume: events after last_seq, then resume.done (or a reset).
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no resume.done")
            try:
                raw = await asyncio.wait_for(ws.recv(), remaining)
            except websockets.ConnectionClosed as exc:
                self.close_codes.append(exc.rcvd.code if exc.rcvd else None)
                self.ws = None
                raise Closed(f"{self.name}: closed during resume ({self.close_codes[-1]})") from exc
            frame = json.loads(raw)
            self.apply(frame)
            if frame.get("type") in ("resume.done", "reset"):
                break
        self._reader = asyncio.create_task(self._read(ws))
        # Anything unacked goes again (same client id: the server stores it once).
        for client_id, body in list(self.outbox.items()):
            await self._send_frame(client_id, body)

    async def stop_reading(self) -> None:
        """Stop reading the socket, leaving it open: like a phone whose app is frozen."""
        if self._reader and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        self._reader = None

    def start_reading(self) -> None:
        if self.ws is not None and self._reader is None:
            self._reader = asyncio.create_task(self._read(self.ws))

    async def close(self) -> None:
        if self._reader and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        self.ws = None
        self._reader = None

    async def _read(self, ws) -> None:
        import websockets

        try:
            async for raw in ws:
                self.apply(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        except Exception as exc:  # a harness bug must be visible, not a silent hang
            self.errors.append({"code": "harness", "message": repr(exc)})
            raise
        finally:
            self.close_codes.append(ws.close_code)
            self._changed.set()

    # -- frames
    def apply(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        seq = frame.get("seq")
        if kind == "ack":  # ephemeral, though it names the message's seq
            self.acks[frame["client_id"]] = (frame["message_id"], frame["seq"])
            self.outbox.pop(frame["client_id"], None)
        elif kind == "message.created" and isinstance(seq, int):
            if seq <= self.last_seq:
                self.duplicates_dropped += 1
            elif seq == self.last_seq + 1:
                self.messages[seq] = frame["message"]
                self.last_seq = seq
            else:
                self.gaps_seen += 1
                self.needs_resume = True
        elif kind in DURABLE and isinstance(seq, int):  # other durable events: by seq only
            if seq == self.last_seq + 1:
                self.last_seq = seq
            elif seq > self.last_seq + 1:
                self.gaps_seen += 1
                self.needs_resume = True
        elif kind == "heartbeat":
            self.head = max(self.head, int(frame.get("head") or 0))
            if self.head > self.last_seq:
                self.needs_resume = True
        elif kind == "resume.done":
            self.head = max(self.head, int(frame.get("head") or 0))
            self.needs_resume = self.last_seq < self.head
        elif kind == "reset":
            self.resets += 1
            self.messages.clear()
            for item in frame.get("messages", []):
                self.messages[item["seq"]] = item
            self.last_seq = int(frame.get("head") or max(self.messages, default=0))
        elif kind == "error":
            self.errors.append(frame)
        self._changed.set()

    async def _send_frame(self, client_id: str, body: str) -> None:
        if self.ws is None:
            return
        import websockets

        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(
                json.dumps({"type": "send", "client_id": client_id, "body": body, "reply_to": None})
            )

    async def send(self, body: str) -> str:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = body
        await self._send_frame(client_id, body)
        return client_id

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str = "") -> None:
        """Wait (bounded) until predicate() holds, re-checking on every frame."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: timed out waiting for {what or predicate}")
            self._changed.clear()
            if predicate():
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))

    def bodies(self) -> list[str]:
        return [self.messages[s]["body"] for s in sorted(self.messages)]

    def has_body(self, body: str) -> bool:
        return any(m.get("body") == body for m in self.messages.values())

    def seqs(self) -> list[tuple[int, int]]:
        return [(s, self.messages[s]["id"]) for s in sorted(self.messages)]


async def connect_with_retry(
    client: ChatClient, servers: list[AppServer], *, attempts: int = 30, base_delay: float = 0.2
) -> None:
    """Reconnect like the browser client does: jittered exponential backoff, bounded, trying
    each live server in turn."""
    import random

    last_exc: Exception | None = None
    for attempt in range(attempts):
        live = [s for s in servers if s.alive()] or servers
        server = live[attempt % len(live)]
        try:
            await client.connect(server)
            return
        except Exception as exc:  # refused, closed during resume, timeout: try again
            last_exc = exc
            delay = min(2.0, base_delay * (2 ** min(attempt, 4))) * (0.5 + random.random())
            await asyncio.sleep(delay)  # backoff between retries, not a wait for an event
    raise RuntimeError(f"{client.name}: could not reconnect: {last_exc!r}")


async def heal(client: ChatClient, servers: list[AppServer]) -> None:
    """What the browser client does: on a close, reconnect and resume; on a detected gap,
    send `hello` again with the last applied seq; re-send sends that failed on the server."""
    import websockets

    if not client.connected:
        await connect_with_retry(client, servers)
        return
    try:
        if client.needs_resume:
            client.needs_resume = False
            client.hellos += 1
            await client.ws.send(json.dumps({"type": "hello", "last_seq": client.last_seq}))
        retry = ("server_error", "unavailable")  # nothing stored: send it again, same id
        failed = {e.get("client_id") for e in client.errors if e.get("code") in retry}
        client.errors = [e for e in client.errors if e.get("code") not in retry]
        for client_id in failed & set(client.outbox):
            await client._send_frame(client_id, client.outbox[client_id])
    except websockets.ConnectionClosed:
        pass


async def converge(
    clients: list[ChatClient],
    servers: list[AppServer],
    done: Callable[[ChatClient], bool],
    timeout: float,
    what: str = "",
) -> None:
    """Heal every client (bounded) until done(client) holds for all of them."""
    deadline = time.monotonic() + timeout
    while True:
        pending = [c for c in clients if not (c.connected and done(c))]
        if not pending:
            return
        if time.monotonic() > deadline:
            states = {
                c.name: {
                    "connected": c.connected,
                    "last_seq": c.last_seq,
                    "head": c.head,
                    "outbox": len(c.outbox),
                    "closes": c.close_codes,
                    "errors": c.errors[-3:],
                }
                for c in pending
            }
            raise TimeoutError(f"not converged ({what}): {states}")
        for c in pending:
            await heal(c, servers)
        # Wait for the next frame on any pending client (bounded), then look again.
        waits = [asyncio.ensure_future(c._changed.wait()) for c in pending]
        for c in pending:
            c._changed.clear()
        _, not_done = await asyncio.wait(waits, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
        for w in not_done:
            w.cancel()


def db_head_matches(stack: Stack, room: Room, clients: list[ChatClient]) -> list[tuple]:
    """Every client holds exactly the database's history, in order. Returns the history."""
    history = stack.history(room)
    expected = [(seq, mid) for seq, mid, _ in history]
    for c in clients:
        assert c.seqs() == expected, f"{c.name} differs from the database"
    return history


_PROXY = r"""
import asyncio, sys
listen, target = int(sys.argv[1]), int(sys.argv[2])

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()

async def handle(client_r, client_w):
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen, reuse_address=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


class TcpProxy:
    """A small TCP proxy in its own process, between the app and a real server (PostgreSQL,
    Redis): killing it cuts every connection at once, as a network failure or a restart
    would, without touching the real server the rest of the machine uses."""

    def __init__(self, target_port: int, port: int | None = None):
        self.target_port = target_port
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> TcpProxy:
        self.proc = subprocess.Popen(
            [PYTHON, "-c", _PROXY, str(self.port), str(self.target_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc, 20)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        wait_port_closed(self.port, 10)

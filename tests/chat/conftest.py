"""Helpers for chat tests: websocket clients that speak the chat protocol."""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from chat import services
from chat.routing import websocket_urlpatterns
from chat.services import room_for_group
from tests.factories import login_session

APP = URLRouter(websocket_urlpatterns)


class Client:
    """A test websocket client for one member in one room."""

    def __init__(self, user, group, path: str | None = None):
        self.user = user
        self.group = group
        self.comm = WebsocketCommunicator(APP, path or f"/ws/groups/{group.slug}/chat/")
        self.comm.scope["user"] = user
        self.seen: list[dict[str, Any]] = []

    async def connect(self, hello: int | None = 0) -> list[dict[str, Any]]:
        if "session_key" not in self.comm.scope:  # a real log-in, as config.wsauth passes it
            self.comm.scope["session_key"] = await db_async(login_session)(self.user)
        # A storm test opens dozens at once; on a busy CI machine the handshake may take more
        # than Channels' default second without anything being wrong.
        connected, _ = await self.comm.connect(timeout=10)
        assert connected
        frames = []
        if hello is not None:
            await self.send({"type": "hello", "last_seq": hello})
            frames = await self.until("resume.done", "reset")
        return frames

    async def send(self, frame: dict[str, Any]) -> None:
        await self.comm.send_to(text_data=json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        out = await self.comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            frame = {"type": "__closed__", "code": out.get("code")}
        else:
            frame = json.loads(out["text"])
        self.seen.append(frame)
        return frame

    async def until(self, *types: str, timeout: float = 10) -> list[dict[str, Any]]:
        """Receive frames until one of `types` arrives; returns all of them, that one last."""
        frames = []
        while True:
            f = await self.recv(timeout)
            frames.append(f)
            if f["type"] in types:
                return frames
            if f["type"] == "__closed__":
                raise AssertionError(f"closed with {f['code']} while waiting for {types}")

    async def nothing(self, timeout: float = 0.2) -> bool:
        return await self.comm.receive_nothing(timeout)

    async def message(self, body: str, **extra) -> dict[str, Any]:
        cid = extra.pop("client_id", None) or str(uuid.uuid4())
        await self.send({"type": "send", "client_id": cid, "body": body, **extra})
        frames = await self.until("ack", "error")
        return frames[-1]

    async def close(self) -> None:
        await self.comm.disconnect()


@pytest.fixture
async def make_client():
    clients: list[Client] = []

    def make(user, group, path: str | None = None) -> Client:
        c = Client(user, group, path)
        clients.append(c)
        return c

    yield make
    for c in clients:
        with contextlib.suppress(Exception):
            await c.comm.disconnect()


@pytest.fixture
def room(group):
    return room_for_group(group.pk)


db_async = database_sync_to_async


def room_url(group, **params) -> str:
    """The room page's address, with query parameters."""
    u = reverse("chat:room", kwargs={"slug": group.slug})
    if params:
        u += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return u


def send_message(user, room, body, **kw):
    """A message sent through the real service (a fresh client id)."""
    return services.message_send(
        user=user, room=room, body=body, client_id=uuid.uuid4(), **kw
    ).message


@pytest.fixture(autouse=True)
def _chat_limits(request, settings):
    """A fresh private cache (never flushing the shared Redis) and a generous rate limit;
    tests about limits set their own. The fault/idle tests (real processes) are left alone."""
    name = request.node.path.name
    if name.startswith(("test_fault_", "test_idle_")):
        yield
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"chat-test-{uuid.uuid4().hex}",
        }
    }
    settings.VILLAGE = {**settings.VILLAGE, "CHAT_RATE_LIMIT_COUNT": 10_000}
    # A fresh layer object per test: each test has its own event loop, and the Redis layer's
    # locks and connections belong to the loop that first used them.
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)  # "rooms" too, where configured
    for layer in layers.values():
        if layer["BACKEND"].endswith("InMemoryChannelLayer"):
            layer["CONFIG"] = {"capacity": 10_000}
    settings.CHANNEL_LAYERS = layers
    yield


@pytest.fixture(scope="session", autouse=True)
def _close_worker_connections(django_db_setup):
    """Read-only chat work runs on a thread pool (chat.fanout.db_read); its threads end with
    each test's event loop, but their database connections close only when collected. Collect
    them before the test database is dropped (PostgreSQL refuses while sessions are open)."""
    yield
    gc.collect()

"""Redis away for 30 seconds, for real: PostgreSQL is the truth, Redis an accelerator.

Two daphne processes share one private redis-server, which the test stops (not a stand-in)
while members keep talking over websockets and through the no-JavaScript form, one of them
typing a crisis phrase. Huey runs on that Redis too (not in immediate mode), as in production.
What must hold (docs/chat-protocol.md, "When Redis is away"):

- every send is stored exactly once and acknowledged, during the outage too;
- pages render (the group, the room, the support page), with no 500 anywhere;
- the crisis message raises its urgent case and alert rows in the same transaction, and the
  alert email goes out through the existing sweep once the queue is back, exactly once;
- sockets stay open, and every client converges to the database by sequence afterwards, with
  live delivery across the processes again.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.chat.faultkit import (
    ChatClient,
    converge,
    db_head_matches,
    module_database,
    stack_for_test,
)

pytestmark = pytest.mark.fault

OUTAGE_SECONDS = 30
FRAME_TIMEOUT = 20
CONVERGE_TIMEOUT = 90
CRISIS = "honestly I can’t go on like this"  # a curly apostrophe, as phones type it


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


class Browser:
    """A no-JavaScript browser: a session cookie, CSRF tokens from the pages it loads."""

    def __init__(self, base: str, session: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        host = urllib.parse.urlsplit(base).hostname
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                "sessionid",
                session,
                None,
                False,
                host,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )  # fmt: skip
        )
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=20) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def post(self, path: str, data: dict[str, str]) -> int:
        status, page = self.get(path)
        assert status == 200, (path, status, page[-2000:])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base})
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _setup(stack, room) -> dict:
    """A site moderator (who gets the urgent alert) with an email address."""
    return stack.shell_json(
        """
import json
from accounts.models import User
m = User.objects.create_user("outage-mod@example.invalid", "x" * 20, display_name="Mod",
                             is_moderator=True)
print(json.dumps({"moderator": m.pk}))
"""
    )


def _db_facts(stack, room, client_ids: list[str]) -> dict:
    return stack.shell_json(
        f"""
import json
from chat.models import Message
from moderation.models import Case
from notifications.models import Notification
ids = {client_ids!r}
counts = {{c: Message.objects.filter(room_id={room.room_id}, client_id=c).count() for c in ids}}
crisis = list(Case.objects.filter(kind="crisis", group_id={room.group_id})
              .values_list("message_id", "urgent"))
crisis_msg = [m for m, _ in crisis]
same_body = list(Message.objects.filter(pk__in=crisis_msg).values_list("client_id", flat=True))
alerts = list(Notification.objects.filter(kind="safeguarding", urgent=True)
              .values_list("emailed_at", flat=True))
print(json.dumps({{"counts": counts, "crisis": crisis,
                   "crisis_client_ids": [str(c) for c in same_body],
                   "alerts": len(alerts), "alerts_emailed": sum(1 for a in alerts if a)}}))
"""
    )


def _run_the_sweep_later(stack) -> int:
    """The real periodic sweep, run as Huey would run it a few minutes later."""
    out = stack.shell_json(
        """
import json, datetime
import time_machine
from django.utils import timezone
from moderation.tasks import resend_urgent_alerts
with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
    sent = resend_urgent_alerts.call_local()
print(json.dumps({"sent": sent}))
"""
    )
    return out["sent"]


def _urgent_emails(mail_dir: Path) -> list[str]:
    found = []
    for f in sorted(mail_dir.glob("*.log")):
        text = f.read_text(errors="replace")
        for part in text.split("-------------------------------------------------------------"):
            if "outage-mod@example.invalid" in part and "Urgent" in part:
                found.append(part)
    return found


async def test_redis_down_30s_nothing_is_lost_and_everyone_converges(stack, tmp_path):
    mail = tmp_path / "mail"
    mail.mkdir()
    stack.env.update(
        {
            "HUEY_IMMEDIATE": "0",  # Huey on the same Redis, as in production
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail),
        }
    )
    room = stack.make_room("outage", 5)
    _setup(stack, room)
    a, b = stack.start_server(), stack.start_server()
    servers = [a, b]
    clients = [ChatClient(f"c{i}", room.users[i]["session"], room.path) for i in range(4)]
    for i, c in enumerate(clients):
        await c.connect(servers[i % 2])
    nojs = Browser(f"http://127.0.0.1:{b.port}", room.users[4]["session"])
    sent: list[str] = []
    try:
        for c in clients:
            sent.append(await c.send(f"before from {c.name}"))
        await converge(clients, servers, lambda c: c.last_seq >= 4, CONVERGE_TIMEOUT, "before")

        stack.redis.stop()
        started = time.monotonic()
        rounds = 0
        crisis_cid = None
        form_cids: list[str] = []
        while time.monotonic() - started < OUTAGE_SECONDS:
            for c in clients:
                body = CRISIS if (rounds == 1 and c is clients[0]) else f"r{rounds} {c.name}"
                cid = await c.send(body)
                sent.append(cid)
                if body == CRISIS:
                    crisis_cid = cid
            # The no-JS form, and the pages around it, on the other process.
            form_cid = str(uuid.uuid4())
            status = nojs.post(
                room.path.replace("/ws", "", 1),
                {"action": "send", "body": f"form {rounds}", "client_id": form_cid},
            )
            assert status == 302, f"the no-JS send answered {status} during the outage"
            form_cids.append(form_cid)
            for path in (f"/groups/{room.slug}/", "/moderation/support/", "/"):
                status, _page = nojs.get(path)
                assert status == 200, f"{path} answered {status} during the outage"
            for c in clients:  # acked during the outage: stored, from the database
                await c.wait_for(lambda c=c: not c.outbox, FRAME_TIMEOUT, "acks in the outage")
            rounds += 1
            await asyncio.sleep(4)  # pacing the members' typing, not waiting for an event
        assert rounds >= 5
        # Nobody was sent away during the outage.
        assert all(c.connected for c in clients), [c.close_codes for c in clients]
        assert all(c.connects == 1 for c in clients)

        stack.redis.start()
        head = len(sent) + len(form_cids)
        await converge(
            clients, servers, lambda c: c.last_seq >= head, CONVERGE_TIMEOUT, "after outage"
        )
        # Live delivery across the processes again: a probe from A reaches B's members.
        probe = await clients[0].send("probe after Redis came back")
        await converge(
            clients, servers, lambda c: c.has_body("probe after Redis came back"),
            CONVERGE_TIMEOUT, "probe",
        )  # fmt: skip
        sent.append(probe)
        history = db_head_matches(stack, room, clients)
        assert len(history) == head + 1
        facts = _db_facts(stack, room, sent + form_cids)
        assert set(facts["counts"].values()) == {1}, "every send stored exactly once"
        # The crisis message raised its urgent case with it; its alert email was not lost.
        assert crisis_cid in facts["crisis_client_ids"]
        assert facts["alerts"] >= 1
        assert _run_the_sweep_later(stack) >= 1
        assert len(_urgent_emails(mail)) == 1
        assert _run_the_sweep_later(stack) == 0  # exactly once
        assert len(_urgent_emails(mail)) == 1
        assert all(not c.errors for c in clients), [c.errors for c in clients]
        for server in servers:
            log = server.log.read_text()
            assert " 500 " not in log and "Internal Server Error" not in log, log[-3000:]
            assert "ERROR django" not in log, log[-3000:]
    finally:
        for c in clients:
            await c.close()

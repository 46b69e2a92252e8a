"""Idle survival on the real Redis channel layer: a client that sends nothing for 60 s (no
frames, no websocket pings of its own, like a browser tab) is still connected afterwards and
receives the next message at once."""

from __future__ import annotations

import pytest

from tests.chat.faultkit import ChatClient, module_database, stack_for_test

pytestmark = pytest.mark.fault


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    yield from module_database(tmp_path_factory)


@pytest.fixture
def stack(tmp_path, fault_db):
    yield from stack_for_test(tmp_path, fault_db)


IDLE_SECONDS = 60


async def test_idle_client_survives_60s_and_gets_the_next_message(stack):
    room = stack.make_room("idle-room", 2)
    server = stack.start_server()
    idle = ChatClient("idle", room.users[0]["session"], room.path)
    talker = ChatClient("talker", room.users[1]["session"], room.path)
    await idle.connect(server)
    await talker.connect(server)
    try:
        # Watch the idle socket for 60 s: a close would end this wait early.
        with pytest.raises(TimeoutError):
            await idle.wait_for(lambda: not idle.connected, IDLE_SECONDS, "a close")
        assert idle.connected, f"idle socket closed: {idle.close_codes}"
        assert idle.close_codes == []
        assert idle.errors == []
        # The talker kept its socket too; the next message reaches the idle client at once.
        await talker.send("are you still there?")
        await idle.wait_for(lambda: idle.has_body("are you still there?"), 10, "the message")
        assert idle.connects == 1
    finally:
        await idle.close()
        await talker.close()

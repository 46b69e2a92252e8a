"""The chat socket fixtures (a fresh channel layer and cache per test, websocket clients):
realtime's tests drive real chat sockets to see what each topic does to them."""

from tests.chat.conftest import _chat_limits, make_client, room  # noqa: F401

"""What every Village websocket consumer shares.

Channels (4.2 and later) runs `close_old_connections()` before every message a consumer
handles, through the one thread-sensitive executor a process has. For a socket that is a
thread hop per frame; in a reconnect storm it is thousands of hops queued behind each other
on a single thread, which is what makes the last handshakes and resumes of a storm wait. Village's
consumers never touch the database on the event loop: every query goes through a wrapper that
tidies the thread's connections itself (`channels.db.database_sync_to_async`, or
`chat.fanout.db_read` / `db_write`), so the per-frame hop only costs.
"""

from __future__ import annotations

from channels.consumer import get_handler_name


class NoDatabaseHopPerFrame:
    """Mix in before a Channels consumer class: dispatch without the per-frame hop."""

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

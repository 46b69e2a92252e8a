"""The Python ceiling: a bare `websockets` broadcast server (no Django, no channel layer).

Each path is a room; every text frame is re-sent as {"message": text} to everyone in the room
(serialised once, written with websockets.broadcast). Run: python bench/bare_ws.py PORT
"""

import asyncio
import json
import sys

from websockets.asyncio.server import broadcast, serve

ROOMS: dict[str, set] = {}


async def handler(ws):
    room = ROOMS.setdefault(ws.request.path, set())
    room.add(ws)
    try:
        async for raw in ws:
            text = json.loads(raw).get("message", "")
            broadcast(room, json.dumps({"message": text}))
    finally:
        room.discard(ws)


async def main(port: int) -> None:
    async with serve(
        handler,
        "127.0.0.1",
        port,
        compression=None,
        max_size=2**16,
        ping_interval=None,
        backlog=4096,
    ):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))

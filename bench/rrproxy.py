"""A small TCP proxy spreading connections round-robin over several ports (bench/scaleout.py).

    python bench/rrproxy.py LISTEN_PORT TARGET_PORT [TARGET_PORT ...]

It stands in for nginx or Caddy in front of several daphne processes: each new connection (an
HTTP request or a websocket) goes to the next process in turn, and bytes are copied both ways
until either side closes. Loopback only.
"""

from __future__ import annotations

import asyncio
import itertools
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen: int, targets: list[int]) -> None:
    turn = itertools.cycle(targets)

    async def handle(client_r, client_w):
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", next(turn))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, up_w), pipe(up_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), [int(p) for p in sys.argv[2:]]))

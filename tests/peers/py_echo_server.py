"""Python `websockets` echo server for wsx's interop tests (tests/interop.rs): a third-party peer.

Listens on 127.0.0.1, port 0, and prints `listening on ws://127.0.0.1:PORT` on stdout.
Echoes every message with its type; the text `close-with <code> <reason>` makes it close
with that code and reason. Note: on a Close from the client, websockets answers at once and
drops echoes still queued behind it, so clients must wait for their echoes before closing.
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        if isinstance(message, str) and message.startswith("close-with "):
            _, code, reason = (message.split(" ", 2) + [""])[:3]
            await ws.close(int(code), reason)
            return
        await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", 0, max_size=64 * 2**20) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)

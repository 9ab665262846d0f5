#!/usr/bin/env python3
"""Open N idle WebSocket connections to HOST:PORT and hold them until stdin closes.

usage: idle_clients.py HOST PORT N
Prints "ready N" once every connection got its 101, then waits. Uses only the standard
library, so that the measured server is the only WebSocket code in play.
"""
import asyncio
import resource
import sys

REQUEST = (
    "GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def one(host, port, request):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head[:40])
    return reader, writer


async def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
    request = REQUEST.format(host=host, port=port).encode()
    connections = []
    for start in range(0, count, 500):
        batch = [one(host, port, request) for _ in range(start, min(count, start + 500))]
        connections += await asyncio.gather(*batch)
    print(f"ready {len(connections)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())

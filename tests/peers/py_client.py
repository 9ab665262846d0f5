"""Python `websockets` client for wsx's interop tests (tests/interop.rs): a third-party peer.

Usage: python3 py_client.py [--protocol P]... URL N [MSG]...
Same contract as ws_client.js: prints `open <subprotocol|->`, sends each MSG (`text`,
`bin:<hex>`, `big:<bytes>`, `bigbin:<bytes>`, `frag:a|b|c`, `ping:<text>`), then each stdin
line as text; prints received messages as `text <data>` / `binary <hex>` (over 1 KiB:
`<type> <len> bytes, same as sent` / `..., unlike anything sent`) and `pong <text>`. Once it
has N messages, every pong, and stdin has ended, it closes with 1000, prints
`close <code> <reason>` (the peer's Close) and exits 0.
"""

import asyncio
import sys
import threading

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def out(line):
    print(line, flush=True)


def pattern(n, binary):
    if binary:
        return bytes(i % 251 for i in range(n))
    return "".join(chr(97 + i % 26) for i in range(n))


async def main(argv):
    protocols = []
    while argv[0] == "--protocol":
        protocols.append(argv[1])
        argv = argv[2:]
    url, wanted, messages = argv[0], int(argv[1]), argv[2:]
    sent, pongs = [], []
    have_all, input_ended = asyncio.Event(), asyncio.Event()

    async def send(ws, message):
        if message.startswith("ping:"):
            waiter = await ws.ping(message[5:])
            pongs.append(asyncio.ensure_future(pong(waiter, message[5:])))
            return
        if message.startswith("frag:"):
            parts = message[5:].split("|")
            sent.append("".join(parts))
            await ws.send(parts)  # an iterable goes out as one fragmented message
            return
        if message.startswith("bin:"):
            payload = bytes.fromhex(message[4:])
        elif message.startswith("big:"):
            payload = pattern(int(message[4:]), False)
        elif message.startswith("bigbin:"):
            payload = pattern(int(message[7:]), True)
        else:
            payload = message
        sent.append(payload)
        await ws.send(payload)

    async def pong(waiter, text):
        await waiter
        out(f"pong {text}")

    async def receive(ws):
        received = 0
        async for message in ws:
            kind = "text" if isinstance(message, str) else "binary"
            if len(message) > 1024:
                same = "same as sent" if message in sent else "unlike anything sent"
                out(f"{kind} {len(message)} bytes, {same}")
            else:
                out(f"{kind} {message if kind == 'text' else message.hex()}")
            received += 1
            if received >= wanted:
                have_all.set()

    async with connect(url, subprotocols=protocols or None, max_size=64 * 2**20, proxy=None) as ws:
        out(f"open {ws.subprotocol or '-'}")
        if wanted == 0:
            have_all.set()
        receiver = asyncio.ensure_future(receive(ws))
        for message in messages:
            await send(ws, message)
        loop = asyncio.get_running_loop()

        def read_stdin():
            for line in sys.stdin:
                asyncio.run_coroutine_threadsafe(send(ws, line.rstrip("\r\n")), loop).result()
            loop.call_soon_threadsafe(input_ended.set)

        threading.Thread(target=read_stdin, daemon=True).start()

        async def ready_to_close():
            await have_all.wait()
            await asyncio.gather(*pongs)
            await input_ended.wait()

        closer = asyncio.ensure_future(ready_to_close())
        await asyncio.wait([receiver, closer], return_when=asyncio.FIRST_COMPLETED)
        if closer.done():
            await ws.close(1000, "done")
        try:
            await receiver
        except ConnectionClosed:
            pass
        out(f"close {ws.close_code} {ws.close_reason or ''}")


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1:]), 30))

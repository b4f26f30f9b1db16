"""The ack benchmark's floor: aiohttp's low-level server (what the bot's HTTP mode uses) answering
every request with an empty 200 and doing nothing else. Measured under the same burst and the same
refresh, it shows what this host allows any Python server, so the bot's figure can be read
against it when the host is slower or busier than usual.

Prints its port on stdout, then serves until stdin closes.
"""
from __future__ import annotations

import asyncio
import socket
import sys

from aiohttp import web


async def serve() -> None:
    async def answer(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(status=200)

    runner = web.ServerRunner(web.Server(answer, access_log=None), handle_signals=False)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0), backlog=512)
    await web.SockSite(runner, sock, backlog=512).start()
    print(sock.getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())

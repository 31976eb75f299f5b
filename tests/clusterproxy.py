"""An HTTP proxy that sends each request to a process of a cluster picked at random (seeded:
a failing test sends the same requests to the same processes again), passing bodies,
streams and WebSockets through as they come (`server/relay.py`). The API tests run through it against 3 processes
(`THREADLOOM_TEST_CLUSTER=3`, `conftest.py`)."""

from __future__ import annotations

import random

import aiohttp
from aiohttp import web

from threadloom.server.relay import relay



class RandomProxy:
    def __init__(self, backends: list[str], seed: int = 0) -> None:
        self.backends = backends
        self.sent: list[str] = []  # the backend of each request, in order
        self._random = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=timeout, auto_decompress=False
        )
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        backend = self._random.choice(self.backends)
        self.sent.append(backend)
        assert self._session is not None
        return await relay(request, self._session, backend, {})

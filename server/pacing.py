"""Requests start their work a few per pass of the event loop.

asyncio runs, in one pass, every callback that was ready when the pass began. When a
thousand clients send their requests at once, each request's first steps (its handler up
to its first wait: parsing the body, authorization, a supervisor's start and the run's
records) would all run in one pass, and everything already under way (streams, timers,
the lease's renewal) would wait for all of them: a quarter of a second and more. Here a
request that finds `PER_PASS` others already let in during the current pass waits, in
arrival order, for a later one, so a pass stays a few milliseconds long whatever the
burst. Requests that come a few at a time never wait."""

from __future__ import annotations

import asyncio
from collections import deque

from aiohttp import web
from aiohttp.typedefs import Handler

# requests let in per pass: each one's first steps take 50-250 µs of CPU, so a few ms
PER_PASS = 16


class Pacer:
    def __init__(self, per_pass: int = PER_PASS) -> None:
        self.per_pass = per_pass
        self._admitted = 0  # in the current pass
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._next_pass: asyncio.Handle | None = None

    async def turn(self) -> None:
        """Return when the caller may start its work."""
        if not self._waiting and self._admitted < self.per_pass:
            self._admitted += 1
            self._count_passes()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._count_passes()
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.done():  # not let in yet: leaves the line
                self._waiting.remove(waiter)
            raise

    def _count_passes(self) -> None:
        if self._next_pass is None:
            self._next_pass = asyncio.get_running_loop().call_soon(self._new_pass)

    def _new_pass(self) -> None:
        """At the start of the next pass (a callback made ready in this one runs in the
        next): the count starts again, and the first in line are let in (they run in the
        pass after, with those that arrive in it)."""
        self._next_pass = None
        self._admitted = 0
        while self._waiting and self._admitted < self.per_pass:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._admitted += 1
        if self._waiting or self._admitted:
            self._count_passes()


PACER = web.AppKey("pacer", Pacer)


@web.middleware
async def pace(request: web.Request, handler: Handler) -> web.StreamResponse:
    await request.config_dict[PACER].turn()
    return await handler(request)


def install(app: web.Application) -> None:
    """Outermost: a request waits for its turn before doing anything."""
    app[PACER] = Pacer()
    app.middlewares.insert(0, pace)

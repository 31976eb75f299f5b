"""How late the event loop runs what is ready: the loop's lag, for `/metrics`.

A watcher asks to be woken every `interval` seconds and records how much later than that
it was woken. Anything that holds the loop (a blocking call, a large encoding on the loop
thread) shows up here as lag, whichever request caused it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

from aiohttp import web

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, math.inf)


class LoopLag:
    """A histogram of the lags seen, with Prometheus' buckets (upper bounds, seconds)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.counts = [0] * len(BUCKETS)  # per bucket, not cumulative
        self.total = 0.0
        self.max = 0.0
        self._skipping = False

    @property
    def observations(self) -> int:
        return sum(self.counts)

    def observe(self, lag: float) -> None:
        lag = max(lag, 0.0)
        self.counts[next(i for i, bound in enumerate(BUCKETS) if lag <= bound)] += 1
        self.total += lag
        self.max = max(self.max, lag)

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations at or under it), as Prometheus exposes a histogram."""
        running, out = 0, []
        for bound, count in zip(BUCKETS, self.counts):
            running += count
            out.append((bound, running))
        return out

    def skip_current(self) -> None:
        """The interval under way is not observed: what holds the loop in it is the server
        starting, not serving (its one collection of what it loaded, `cli._settle_heap`)."""
        self._skipping = True

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.interval)
            if self._skipping:
                self._skipping = False
                continue
            self.observe(loop.time() - asked - self.interval)


LOOP_LAG = web.AppKey("loop_lag", LoopLag)


def install(app: web.Application) -> None:
    """Watch the loop from the start of this cleanup context (installed after the others: once
    the storage is open and interrupted runs are recovered) until the application stops."""
    app[LOOP_LAG] = LoopLag()

    async def watching(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(app[LOOP_LAG].watch())
        yield
        task.cancel()

    app.cleanup_ctx.append(watching)

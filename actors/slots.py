"""The global run slots (`--jobs`): how many runs execute at once, across threads.

A run waits for a slot after its thread's supervisor started it (so per-thread FIFO is
the supervisor's, untouched here). When every slot is taken, the waiting run with the most
urgent priority gets the next free one, and among equals the one that asked first. A run
that holds a slot keeps it until it ends: no preemption.

Priorities are `langgraph_sdk.priority` values, -5 to 5, and lower is more urgent: -5
runs first, as the docstring of the pinned SDK (0.4.14) says.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

DEFAULT_PRIORITY = 0


class RunSlots:
    def __init__(self, count: int) -> None:
        self.count = count
        self._free = count
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # (priority, arrival, wake-up)
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def held(self, priority: int = DEFAULT_PRIORITY) -> AsyncIterator[None]:
        """Hold a slot for the body of the `async with`; waits, in priority order, for one."""
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    # A free slot is handed out at once, so while any is free nobody waits.

    async def _acquire(self, priority: int) -> None:
        if self._free > 0:
            self._free -= 1
            return
        entry = (priority, next(self._arrivals), asyncio.get_running_loop().create_future())
        heapq.heappush(self._waiting, entry)
        try:
            await entry[2]
        except asyncio.CancelledError:
            if entry[2].done() and not entry[2].cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            else:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise

    def _release(self) -> None:
        if self._waiting:
            heapq.heappop(self._waiting)[2].set_result(None)  # the slot goes straight to it
        else:
            self._free += 1

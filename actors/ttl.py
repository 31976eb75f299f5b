"""The TTL sweeper: every `sweep_interval_minutes`, the threads whose time-to-live has run
out (`protocol.ttl`) are deleted or pruned to their latest checkpoint, each by its own
supervisor (`Runtime.expire`), which checks again that it is still expired and idle."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from threadloom.protocol import clock
from threadloom.protocol.ownership import Janitor
from threadloom.protocol.storage import ThreadStore

from .ownership import alone
from .periodic import Periodic

log = logging.getLogger(__name__)

Expire = Callable[[str, str], Awaitable[bool]]


class TtlSweeper:
    def __init__(
        self, *, threads: ThreadStore, expire: Expire, interval_minutes: float, limit: int, janitor: Janitor = alone,
    ) -> None:
        """`expire(thread_id, now)`: apply the thread's TTL through its supervisor, True if
        it did; `limit`: threads at most per sweep (the longest expired first); `janitor`:
        whether this process sweeps (one process of a cluster does)."""
        self.threads = threads
        self.expire = expire
        self.limit = limit
        self.janitor = janitor
        self._periodic = Periodic("ttl-sweeper", self.turn, interval_minutes * 60)

    async def turn(self) -> None:
        """One period: sweep if it is this process's turn (`janitor`)."""
        async with self.janitor("ttl") as mine:
            if mine:
                await self.sweep()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def sweep(self, now: datetime | None = None) -> list[str]:
        """Apply the TTLs run out at `now` (default: now); returns the threads swept."""
        at = clock.iso(now or clock.now())
        swept = []
        for expired in await self.threads.expired(at, self.limit):
            try:
                if await self.expire(expired.thread_id, at):
                    swept.append(expired.thread_id)
            except Exception:  # one thread's failure does not hold up the others
                log.exception("ttl: thread %s not swept", expired.thread_id)
        if swept:
            log.info("ttl: swept %d thread(s)", len(swept))
        return swept

"""A task that calls a function every few seconds until stopped; a call that fails is
logged, and the next one comes all the same."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, tick: Callable[[], Awaitable[object]], seconds: float, *, wait_first: bool = False) -> None:
        self.name = name
        self.tick = tick
        self.seconds = seconds
        self.wait_first = wait_first  # the first call after `seconds`, not at once
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """The loop ends even when a call swallows the cancellation (a database driver
        may turn it into an error of its own, which the loop logs and goes on from): it
        stops at its next wait."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])  # not `await task`: its cancellation is not ours

    async def _loop(self) -> None:
        if self.wait_first and await self._stopped_within(self.seconds):
            return
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:  # e.g. the database busy for too long: try again next time
                log.exception("%s failed", self.name)
            if await self._stopped_within(self.seconds):
                return

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

"""A task that calls a function every few seconds until stopped; a call that fails is
logged, and the next one comes all the same."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, tick: Callable[[], Awaitable[object]], seconds: float) -> None:
        self.name = name
        self.tick = tick
        self.seconds = seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # e.g. the database busy for too long: try again next time
                log.exception("%s failed", self.name)
            await asyncio.sleep(self.seconds)

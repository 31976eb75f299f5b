"""Runs: the queue of each thread, written only by its supervisor."""

from __future__ import annotations

import builtins

from typing import Protocol

from ..resources import Run, RunKwargs, RunStatus, Thread


class RunReads(Protocol):
    """What the routes may do with runs themselves: read."""

    async def get(self, run_id: str) -> Run | None: ...
    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> list[Run]:
        """Newest first (in the order they were created)."""
    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> builtins.list[Run]:
        """Pending and/or running runs across all threads, optionally of one assistant."""


class RunStore(RunReads, Protocol):
    async def active(self, thread_id: str) -> builtins.list[tuple[Run, int]]:
        """Pending and running runs of a thread with their attempt counts, in queue order."""
    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        """Insert `run` and write `thread` (inserting it if `create_thread`) atomically."""
    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None: ...
    async def start(self, run_id: str, kwargs: RunKwargs, *, attempt: int | None) -> None:
        """Mark the run running (at its `attempt`-th start), with the kwargs it runs with."""
    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        """Write a run's final status (None deletes the run) and its thread atomically."""
    async def delete(self, run_id: str) -> bool: ...

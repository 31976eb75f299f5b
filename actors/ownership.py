"""Thread ownership when one process serves the database: every thread is its own (a
second server on the same SQLite file is refused at start-up, `storage/sqlite/lockfile.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class SingleProcess:
    """Implements `protocol.ownership.ThreadOwnership`."""

    async def acquire(self, thread_id: str) -> bool:
        return True

    async def release(self, thread_id: str) -> None:
        return None


@asynccontextmanager
async def alone(name: str) -> AsyncIterator[bool]:
    """`protocol.ownership.Janitor` of a process alone on its database: always its turn."""
    yield True

"""Thread ownership when one process serves the database: every thread is its own (a
second server on the same SQLite file is refused at start-up, `storage/sqlite/lockfile.py`)."""

from __future__ import annotations


class SingleProcess:
    """Implements `protocol.ownership.ThreadOwnership`."""

    async def acquire(self, thread_id: str) -> bool:
        return True

    async def release(self, thread_id: str) -> None:
        return None

"""Which process supervises a thread: the seam for running several server processes on
one database (issue 13). A thread's supervisor takes its thread before it recovers or
runs anything, and gives it back when it stops."""

from __future__ import annotations

from typing import Protocol


class ThreadOwnership(Protocol):
    async def acquire(self, thread_id: str) -> bool:
        """Take the thread for this process: True if it is ours now (already ours
        included), False if another live process holds it."""
    async def release(self, thread_id: str) -> None:
        """Give the thread back (nothing if it is not ours)."""

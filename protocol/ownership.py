"""Which process supervises a thread: the seam for running several server processes on
one database (issue 13). A thread's supervisor takes its thread before it recovers or
runs anything, and gives it back when it stops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

# `async with janitor(name) as mine:` — True in one process of a cluster at a time: the
# periodic clean-ups (event log retention, TTL sweeps) run there only, once for the cluster
Janitor = Callable[[str], AbstractAsyncContextManager[bool]]


class ThreadOwnership(Protocol):
    async def acquire(self, thread_id: str) -> bool:
        """Take the thread for this process: True if it is ours now (already ours
        included), False if another live process holds it."""
    async def release(self, thread_id: str) -> None:
        """Give the thread back (nothing if it is not ours)."""


class Cluster(ThreadOwnership, Protocol):
    """Ownership shared by several processes on one database: each registers where it is
    reached, renews its lease while it lives, and takes over the threads of the dead."""

    async def register(self, url: str) -> None:
        """Join: `url` is where the others forward requests for this process's threads."""
    def start(self, on_orphan: Callable[[str], Awaitable[None]]) -> None:
        """Begin the heartbeat; `on_orphan(thread_id)` for each thread to take over."""
    async def owner_url(self, thread_id: str) -> str | None:
        """Where the live process holding `thread_id` is reached, if another one does."""
    async def close(self) -> None:
        """Leave: release this process's threads and its lease."""
    def janitor(self, name: str) -> AbstractAsyncContextManager[bool]:
        """`Janitor`: True while this process is the one to do the clean-up `name`."""

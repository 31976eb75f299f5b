"""Threads: read by the routes, written by their supervisors."""

from __future__ import annotations

from typing import Any, Protocol

from ..filters import Filter
from ..priority import ThreadPriority
from ..resources import Thread
from ..ttl import Expired, ThreadTtl


class ThreadReads(Protocol):
    """What the routes may do with threads themselves: read. Every write goes through
    the thread's supervisor."""

    async def get(self, thread_id: str) -> Thread | None: ...
    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        """`metadata` and `values` match by JSON containment (`protocol.search.json_contains`,
        Postgres `@>`); `auth` is an authorization filter on the metadata
        (`protocol.filters.matches`). Both are data: each backend compiles them to its SQL.
        Ties on `sort_by` are broken by thread_id, so pages never overlap."""
    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        """How many threads `search` would find without limit and offset."""


class ThreadStore(ThreadReads, Protocol):
    async def insert(self, thread: Thread) -> bool:
        """False if a thread with that id exists (nothing written)."""
    async def update(self, thread: Thread) -> None: ...
    async def delete(self, thread_id: str) -> bool: ...
    async def priority(self, thread_id: str) -> ThreadPriority | None:
        """The thread's stored priority settings; None if it has none (or no such thread)."""
    async def set_priority(self, thread_id: str, settings: ThreadPriority) -> None: ...
    async def set_ttl(self, thread_id: str, ttl: ThreadTtl) -> None:
        """The thread expires `ttl.minutes` after its last update (`updated_at`)."""
    async def expired(self, now: str, limit: int, *, thread_id: str | None = None) -> list[Expired]:
        """Up to `limit` threads (or just `thread_id`) whose TTL has run out at `now`,
        the longest expired first; never a busy one, nor a keep_latest one pruned since its
        last update. Compiled to SQL over an index of the threads that carry a TTL."""
    async def pruned(self, thread_id: str) -> None:
        """The thread's keep_latest TTL was applied: not expired again until it is updated."""
    async def needing_recovery(self) -> list[str]:
        """Ids of threads with pending or running runs, or marked busy without any (left
        so by a crash): their supervisors pick them up at start-up."""

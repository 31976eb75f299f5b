"""Threads: read by the routes, written by their supervisors."""

from __future__ import annotations

from typing import Any, Protocol

from ..filters import Filter
from ..resources import Thread


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
    async def needing_recovery(self) -> list[str]:
        """Ids of threads with pending or running runs, or marked busy without any (left
        so by a crash): their supervisors pick them up at start-up."""

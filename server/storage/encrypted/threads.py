"""Threads encrypted at rest: metadata, configurable, values, interrupts, error."""

from __future__ import annotations

from typing import Any

from threadloom.protocol.filters import Filter
from threadloom.protocol.priority import ThreadPriority
from threadloom.protocol.resources import Thread
from threadloom.protocol.ttl import Expired, ThreadTtl
from threadloom.protocol.storage import ThreadStore
from threadloom.server.encryption.records import RecordCodec


class EncryptedThreads:
    def __init__(self, inner: ThreadStore, codec: RecordCodec) -> None:
        self._inner, self._codec = inner, codec

    async def get(self, thread_id: str) -> Thread | None:
        thread = await self._inner.get(thread_id)
        return None if thread is None else await self._codec.open("thread", thread)

    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        found = await self._inner.search(
            ids=ids, metadata=metadata, values=values, status=status, limit=limit, offset=offset,
            sort_by=sort_by, sort_order=sort_order, auth=auth,
        )
        return [await self._codec.open("thread", thread) for thread in found]

    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        return await self._inner.count(ids=ids, metadata=metadata, values=values, status=status, auth=auth)

    async def insert(self, thread: Thread) -> bool:
        return await self._inner.insert(await self._codec.seal("thread", thread))

    async def update(self, thread: Thread) -> None:
        await self._inner.update(await self._codec.seal("thread", thread))

    async def delete(self, thread_id: str) -> bool:
        return await self._inner.delete(thread_id)

    async def priority(self, thread_id: str) -> ThreadPriority | None:
        return await self._inner.priority(thread_id)

    async def set_priority(self, thread_id: str, settings: ThreadPriority) -> None:
        # in clear, as the SDK says (`fairness_group`: "stored unencrypted")
        await self._inner.set_priority(thread_id, settings)

    async def set_ttl(self, thread_id: str, ttl: ThreadTtl) -> None:
        await self._inner.set_ttl(thread_id, ttl)

    async def expired(self, now: str, limit: int, *, thread_id: str | None = None) -> list[Expired]:
        return await self._inner.expired(now, limit, thread_id=thread_id)

    async def pruned(self, thread_id: str) -> None:
        await self._inner.pruned(thread_id)

    async def needing_recovery(self) -> list[str]:
        return await self._inner.needing_recovery()

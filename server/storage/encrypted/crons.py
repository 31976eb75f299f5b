"""Crons encrypted at rest: metadata, and in the payload its metadata, context, input
and config's configurable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Cron
from threadloom.protocol.storage import CronStore
from threadloom.server.encryption.records import RecordCodec

from .changes import change_encrypted


class EncryptedCrons:
    def __init__(self, inner: CronStore, codec: RecordCodec) -> None:
        self._inner, self._codec = inner, codec

    async def get(self, cron_id: str) -> Cron | None:
        cron = await self._inner.get(cron_id)
        return None if cron is None else await self._codec.open("cron", cron)

    async def insert(self, cron: Cron, *, user: dict[str, Any] | None = None) -> bool:
        return await self._inner.insert(await self._codec.seal("cron", cron), user=user)

    async def user(self, cron_id: str) -> dict[str, Any] | None:
        return await self._inner.user(cron_id)

    async def update(self, cron_id: str, change: Callable[[Cron], Cron]) -> Cron | None:
        return await change_encrypted(
            self._codec, "cron", lambda: self._inner.get(cron_id), lambda apply: self._inner.update(cron_id, apply), change
        )

    async def delete(self, cron_id: str) -> bool:
        return await self._inner.delete(cron_id)

    async def search(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None,
        metadata: dict[str, Any] | None, limit: int, offset: int, sort_by: str, sort_order: str,
        auth: Filter | None = None,
    ) -> list[Cron]:
        found = await self._inner.search(
            assistant_id=assistant_id, thread_id=thread_id, enabled=enabled, metadata=metadata, limit=limit,
            offset=offset, sort_by=sort_by, sort_order=sort_order, auth=auth,
        )
        return [await self._codec.open("cron", cron) for cron in found]

    async def count(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        return await self._inner.count(
            assistant_id=assistant_id, thread_id=thread_id, enabled=enabled, metadata=metadata, auth=auth
        )

    async def due(self, now: datetime, *, limit: int) -> list[Cron]:
        return [await self._codec.open("cron", cron) for cron in await self._inner.due(now, limit=limit)]

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        return await self._inner.advance(cron_id, slot, next_run_date)

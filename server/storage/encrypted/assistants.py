"""Assistants (and their versions) encrypted at rest: metadata, configurable, context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Assistant, AssistantVersion
from threadloom.protocol.storage import AssistantStore
from threadloom.server.encryption.records import RecordCodec

from .changes import change_encrypted


class EncryptedAssistants:
    def __init__(self, inner: AssistantStore, codec: RecordCodec) -> None:
        self._inner, self._codec = inner, codec

    async def _open(self, assistant: Assistant | None) -> Assistant | None:
        return None if assistant is None else await self._codec.open("assistant", assistant)

    async def get(self, assistant_id: str) -> Assistant | None:
        return await self._open(await self._inner.get(assistant_id))

    async def create(self, assistant: Assistant) -> bool:
        return await self._inner.create(await self._codec.seal("assistant", assistant))

    async def reset(self, assistant: Assistant) -> None:
        await self._inner.reset(await self._codec.seal("assistant", assistant))

    async def add_version(self, assistant_id: str, change: Callable[[Assistant], Assistant]) -> Assistant | None:
        return await change_encrypted(
            self._codec, "assistant", lambda: self._inner.get(assistant_id),
            lambda apply: self._inner.add_version(assistant_id, apply), change,
        )

    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        return await self._open(await self._inner.set_latest(assistant_id, version))

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[AssistantVersion]:
        found = await self._inner.versions(assistant_id, metadata=metadata, limit=limit, offset=offset)
        return [await self._codec.open("assistant", version) for version in found]

    async def delete(self, assistant_id: str) -> bool:
        return await self._inner.delete(assistant_id)

    async def search(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str, auth: Filter | None = None,
    ) -> list[Assistant]:
        found = await self._inner.search(
            graph_ids=graph_ids, graph_id=graph_id, name=name, metadata=metadata, limit=limit, offset=offset,
            sort_by=sort_by, sort_order=sort_order, auth=auth,
        )
        return [await self._codec.open("assistant", assistant) for assistant in found]

    async def count(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        return await self._inner.count(graph_ids=graph_ids, graph_id=graph_id, name=name, metadata=metadata, auth=auth)

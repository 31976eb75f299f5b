"""The stored event logs of resumable runs (what a run streamed: its values, messages…)
encrypted with the blob handlers. The writer stores the events of several runs in one
batch, so they are encrypted in whatever context the batch is written in (often none):
a blob encryptor must cope with an empty `ctx.metadata`."""

from __future__ import annotations

from datetime import datetime

from threadloom.protocol.storage import EventBatch, RunEventStore, StoredEvent
from threadloom.server.encryption.blobs import BlobCodec
from threadloom.server.encryption.context import current


class EncryptedRunEvents:
    def __init__(self, inner: RunEventStore, codec: BlobCodec) -> None:
        self._inner, self._codec = inner, codec

    async def append(self, events: EventBatch, *, heads: dict[str, int], keep: int) -> None:
        context = current()
        sealed = {
            run_id: [(e[0], e[1], await self._codec.seal("run", "events", e[2], context)) for e in run_events]
            for run_id, run_events in events.items()
        }
        await self._inner.append(sealed, heads=heads, keep=keep)

    async def read(self, run_id: str, *, after: int, limit: int) -> list[StoredEvent]:
        return [
            (seq, name, await self._codec.open("run", "events", data))
            for seq, name, data in await self._inner.read(run_id, after=after, limit=limit)
        ]

    async def bounds(self, run_id: str) -> tuple[int, int] | None:
        return await self._inner.bounds(run_id)

    async def unfinished_heads(self) -> dict[str, int]:
        return await self._inner.unfinished_heads()

    async def sweep(self, *, finished_before: datetime, keep_runs: int) -> int:
        return await self._inner.sweep(finished_before=finished_before, keep_runs=keep_runs)

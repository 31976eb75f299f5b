"""Runs encrypted at rest: metadata, and in kwargs the input, command, context and
config's configurable and metadata."""

from __future__ import annotations

import builtins

from threadloom.protocol.resources import Run, RunKwargs, RunStatus, Thread
from threadloom.protocol.storage import RunStore
from threadloom.server.encryption.records import RecordCodec


class EncryptedRuns:
    def __init__(self, inner: RunStore, codec: RecordCodec) -> None:
        self._inner, self._codec = inner, codec

    async def _open(self, run: Run) -> Run:
        return await self._codec.open("run", run)

    async def get(self, run_id: str) -> Run | None:
        run = await self._inner.get(run_id)
        return None if run is None else await self._open(run)

    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> builtins.list[Run]:
        return [await self._open(run) for run in await self._inner.list(thread_id, limit=limit, offset=offset, status=status)]

    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> builtins.list[Run]:
        return [await self._open(run) for run in await self._inner.find_active(status=status, assistant_id=assistant_id)]

    async def active(self, thread_id: str) -> builtins.list[tuple[Run, int]]:
        return [(await self._open(run), attempts) for run, attempts in await self._inner.active(thread_id)]

    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        sealed_thread, sealed_run = await self._codec.seal("thread", thread), await self._codec.seal("run", run)
        await self._inner.begin(sealed_thread, sealed_run, create_thread=create_thread)

    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None:
        await self._inner.set_status(run_id, status, attempt=attempt)

    async def start(self, run_id: str, kwargs: RunKwargs, *, attempt: int | None) -> None:
        await self._inner.start(run_id, await self._codec.seal("run", kwargs, under=("kwargs",)), attempt=attempt)

    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        sealed = None if thread is None else await self._codec.seal("thread", thread)
        await self._inner.finish(sealed, run_id, status)

    async def delete(self, run_id: str) -> bool:
        return await self._inner.delete(run_id)

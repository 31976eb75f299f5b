"""A `Storage` whose records are encrypted at rest, around any backend's."""

from __future__ import annotations

import contextvars
from contextlib import AbstractAsyncContextManager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from threadloom.protocol.resources import Run
from threadloom.protocol.storage import (
    AssistantStore, CheckpointAdmin, CronStore, RunEventStore, RunStore, Storage, ThreadStore,
)
from threadloom.server.encryption.blobs import BlobCodec
from threadloom.server.encryption.loop import HandlerLoop
from threadloom.server.encryption.records import RecordCodec

from .assistants import EncryptedAssistants
from .crons import EncryptedCrons
from .events import EncryptedRunEvents
from .runs import EncryptedRuns
from .saver import EncryptedMetadataSaver
from .store import EncryptedStore
from .threads import EncryptedThreads


class EncryptedStorage:
    """Threads, runs, assistants, crons, store items and checkpoint metadata go through
    `codec` (the JSON handlers), the stored event logs of resumable runs through `blobs`
    (the blob handlers); each stays in clear without its handlers. The backend's saver
    encrypts checkpoints and writes itself, with the serializer it was opened with.
    `loop`: where the handlers the synchronous APIs call run, closed with the storage."""

    def __init__(self, inner: Storage, codec: RecordCodec | None, blobs: BlobCodec | None, loop: HandlerLoop) -> None:
        self._inner, self._loop = inner, loop
        self.threads: ThreadStore = inner.threads if codec is None else EncryptedThreads(inner.threads, codec)
        self._runs = None if codec is None else EncryptedRuns(inner.runs, codec)
        self.runs: RunStore = inner.runs if self._runs is None else self._runs
        self.assistants: AssistantStore = inner.assistants if codec is None else EncryptedAssistants(inner.assistants, codec)
        self.crons: CronStore = inner.crons if codec is None else EncryptedCrons(inner.crons, codec)
        self.store: BaseStore = inner.store if codec is None else EncryptedStore(inner.store, codec)
        self.events: RunEventStore = inner.events if blobs is None else EncryptedRunEvents(inner.events, blobs)
        self.checkpoints: CheckpointAdmin = inner.checkpoints
        self.saver: BaseCheckpointSaver[Any] = (
            inner.saver if codec is None else EncryptedMetadataSaver(inner.saver, codec.json, loop)
        )

    async def resumed_in(self, run: Run) -> contextvars.Context:
        """The context a run picked up after a restart executes in: the encryption context
        of the request that submitted it, read back from its stored markers."""
        if self._runs is None:
            return contextvars.Context()
        return await self._runs.resumed_in(run)

    def atomic(self) -> AbstractAsyncContextManager[None]:
        return self._inner.atomic()

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            self._loop.close()

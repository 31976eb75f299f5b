"""A `Storage` whose records are encrypted at rest, around any backend's."""

from __future__ import annotations

import contextvars
from contextlib import AbstractAsyncContextManager
from typing import Any

import msgspec
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from threadloom.protocol.resources import Cron, Run
from threadloom.protocol.storage import (
    AssistantStore, CheckpointAdmin, CronStore, RunEventStore, RunStore, Storage, ThreadStore,
)
from threadloom.server.encryption.blobs import BlobCodec
from threadloom.server.encryption.context import CONTEXT
from threadloom.server.encryption.fields import Model
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
        self._inner, self._codec, self._loop = inner, codec, loop
        self.threads: ThreadStore = inner.threads if codec is None else EncryptedThreads(inner.threads, codec)
        self.runs: RunStore = inner.runs if codec is None else EncryptedRuns(inner.runs, codec)
        self.assistants: AssistantStore = inner.assistants if codec is None else EncryptedAssistants(inner.assistants, codec)
        self.crons: CronStore = inner.crons if codec is None else EncryptedCrons(inner.crons, codec)
        self.store: BaseStore = inner.store if codec is None else EncryptedStore(inner.store, codec)
        self.events: RunEventStore = inner.events if blobs is None else EncryptedRunEvents(inner.events, blobs)
        self.checkpoints: CheckpointAdmin = inner.checkpoints
        self.saver: BaseCheckpointSaver[Any] = (
            inner.saver if codec is None else EncryptedMetadataSaver(inner.saver, codec.json, loop)
        )

    @property
    def backend(self) -> Storage:
        """The storage it encrypts for."""
        return self._inner

    # The encryption context of work no live request asked for, read back from the
    # markers stored with it: the request's that submitted the run, or created the cron.

    async def resumed_in(self, run: Run) -> contextvars.Context:
        """What a run picked up after a restart executes in."""
        return self._stored_in("run", await self._inner.runs.get(run.run_id))

    async def fired_in(self, cron: Cron) -> contextvars.Context:
        """What a cron's run is submitted and executes in."""
        return self._stored_in("cron", await self._inner.crons.get(cron.cron_id))

    def _stored_in(self, model: Model, stored: msgspec.Struct | None) -> contextvars.Context:
        found = None if stored is None or self._codec is None else self._codec.stored_context(model, stored)
        context = contextvars.Context()
        context.run(CONTEXT.set, found or {})
        return context

    def atomic(self) -> AbstractAsyncContextManager[None]:
        return self._inner.atomic()

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            self._loop.close()

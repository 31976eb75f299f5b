"""Checkpoint metadata encrypted with the JSON handlers (the checkpoints and their
writes are encrypted by the saver's serializer, `encryption/blobs.py`).

A backend's saver adds to the metadata it is given the values of the run's config
(`checkpoint_metadata.official_metadata`, then LangGraph's `get_checkpoint_metadata`),
each only where the metadata lacks that key. So this saver computes that metadata first
and encrypts it whole: what the backend would add is already there, encrypted. Ids,
`source`, `step` and `parents` stay in clear (`fields.py`): the server deletes a run's
checkpoints by `run_id`, and LangGraph reads the others. History filters on metadata
compare what is stored, so they match only keys left in clear."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

from threadloom.server.encryption.codec import JsonCodec
from threadloom.server.encryption.context import current
from threadloom.server.encryption.loop import HandlerLoop

from ..checkpoint_metadata import official_metadata
from ..signatures import kept_signatures


@kept_signatures
class EncryptedMetadataSaver(BaseCheckpointSaver[Any]):
    """`inner` with its checkpoints' metadata encrypted. Its synchronous methods call
    the handlers on `loop` (see `loop.py`)."""

    def __init__(self, inner: BaseCheckpointSaver[Any], codec: JsonCodec, loop: HandlerLoop) -> None:
        super().__init__(serde=inner.serde)
        self._inner, self._codec, self._loop = inner, codec, loop

    async def _seal(self, config: RunnableConfig, metadata: CheckpointMetadata) -> CheckpointMetadata:
        full = dict(official_metadata(config, metadata))
        return cast(CheckpointMetadata, await self._codec.encrypt("checkpoint", "metadata", full, current()))

    async def _open(self, found: CheckpointTuple | None) -> CheckpointTuple | None:
        if found is None:
            return None
        metadata = await self._codec.decrypt("checkpoint", "metadata", dict(found.metadata))
        return found._replace(metadata=cast(CheckpointMetadata, metadata))

    # reads

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._open(await self._inner.aget_tuple(config))

    async def alist(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for found in self._inner.alist(config, filter=filter, before=before, limit=limit):
            opened = await self._open(found)
            assert opened is not None
            yield opened

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._loop.call(self._open(self._inner.get_tuple(config)))

    def list(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        for found in self._inner.list(config, filter=filter, before=before, limit=limit):
            opened = self._loop.call(self._open(found))
            assert opened is not None
            yield opened

    # writes

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        return await self._inner.aput(config, checkpoint, await self._seal(config, metadata), new_versions)

    def put(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        return self._inner.put(config, checkpoint, self._loop.call(self._seal(config, metadata)), new_versions)

    # the rest as the backend's saver does it

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await self._inner.aput_writes(config, writes, task_id, task_path)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        self._inner.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._inner.adelete_thread(thread_id)

    def delete_thread(self, thread_id: str) -> None:
        self._inner.delete_thread(thread_id)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Any:
        return await self._inner.aget_delta_channel_history(config=config, channels=channels)

    def get_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Any:
        return self._inner.get_delta_channel_history(config=config, channels=channels)

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self._inner.get_next_version(current, channel)

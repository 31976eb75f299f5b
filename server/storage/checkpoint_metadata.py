"""What every checkpoint's metadata carries beyond what LangGraph puts there.

LangGraph copies the run config's `metadata` and plain `configurable` values into each
checkpoint's metadata, except a few keys it reserves, `thread_id` among them. The official
server's saver adds the thread back, and graph code, history filters and clients read it
there; a copied thread's checkpoints name the copy (`SqliteCheckpoints.copy_thread`).
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, ChannelVersions, Checkpoint, CheckpointMetadata


class ThreadInMetadata(BaseCheckpointSaver[Any]):
    """A mixin for a saver, before it in the bases: checkpoints name their thread."""

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        thread_id = str(config["configurable"]["thread_id"])
        named = cast(CheckpointMetadata, {**metadata, "thread_id": thread_id})
        return await super().aput(config, checkpoint, named, new_versions)

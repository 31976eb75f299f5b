"""What every checkpoint's metadata carries beyond what LangGraph puts there.

LangGraph copies into each checkpoint's metadata the plain (string, number, boolean)
values of the config's `metadata` and `configurable`, except a few keys it reserves:
`thread_id`, `checkpoint_id`, `checkpoint_ns`, and the `langgraph_step`/`_node`/`_path`…
of a subgraph call. The official server's saver adds, before LangGraph does, every value
of the config's `metadata` and the non-dunder values of its `configurable` but the
checkpoint's own keys, leaving out only the request's (request id, user). So graph code,
history filters and clients find there the thread (a copied thread's checkpoints name the
copy: `SqliteCheckpoints.copy_thread`), the checkpoint a state update started from, a
subgraph call's node and path, and object values such as a configurable dict.
"""

from __future__ import annotations

import json
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, ChannelVersions, Checkpoint, CheckpointMetadata

_CHECKPOINT_KEYS = frozenset({"checkpoint_ns", "checkpoint_id", "run_id", "thread_id"})  # not from `configurable`
_REQUEST_KEYS = frozenset(
    {"langgraph_request_id", "langgraph_auth_user", "langgraph_auth_user_id", "langgraph_auth_permissions"}
)
_NOT_FROM_CONFIGURABLE = _CHECKPOINT_KEYS | _REQUEST_KEYS
_PLAIN = (str, int, float, bool, type(None))


def _storable(value: Any) -> bool:
    """Whether the saver can store it (its metadata is JSON; the official server's is
    msgpack, which takes more: a value only it could keep is left out here)."""
    if isinstance(value, _PLAIN):
        return True
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def official_metadata(config: RunnableConfig, metadata: CheckpointMetadata) -> CheckpointMetadata:
    """`metadata` with what the official server's saver adds from `config` (in one pass:
    it runs for every checkpoint a run writes)."""
    configurable = config.get("configurable") or {}
    out: dict[str, Any] = {"thread_id": str(configurable["thread_id"])}
    for key, value in configurable.items():
        if key not in _NOT_FROM_CONFIGURABLE and not key.startswith("__") and _storable(value):
            out[key] = value
    for key, value in (config.get("metadata") or {}).items():
        if key not in _REQUEST_KEYS and _storable(value):
            out[key] = value
    for key, value in metadata.items():
        if key not in _REQUEST_KEYS:
            out[key] = value
    return cast(CheckpointMetadata, out)


class OfficialCheckpointMetadata(BaseCheckpointSaver[Any]):
    """A mixin for a saver, before it in the bases: checkpoint metadata as the official
    server's (`official_metadata`)."""

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        return await super().aput(config, checkpoint, official_metadata(config, metadata), new_versions)

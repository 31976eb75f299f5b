"""The answers that are no resource (resources.py), named as the official API description
names them: for `/openapi.json`, which describes every operation's answer."""

from __future__ import annotations

from typing import Any

import msgspec


class Health(msgspec.Struct, kw_only=True):
    ok: bool
    services: dict[str, Any]  # per-backend checks; none here, as in the official in-memory server


class ThreadPruneResponse(msgspec.Struct, kw_only=True):
    pruned_count: int


class StoredCount(msgspec.Struct, kw_only=True):
    count: int
    bytes: int


class ChannelBytes(msgspec.Struct, kw_only=True):
    versions: int
    bytes: int


class ChannelValuesBytes(msgspec.Struct, kw_only=True):
    count: int
    bytes: int
    by_channel: dict[str, ChannelBytes]


class ThreadStorage(msgspec.Struct, kw_only=True):
    """`GET /threads/{thread_id}/storage`: the bytes a thread's checkpoints take, in the
    official shape. Channel values are counted once per (channel, version)."""

    thread_id: str
    total_bytes: int
    checkpoints: StoredCount
    channel_values: ChannelValuesBytes
    pending_writes: StoredCount


class ThreadStateUpdateResponse(msgspec.Struct, kw_only=True):
    checkpoint: dict[str, Any]  # the new checkpoint: thread_id, checkpoint_ns, checkpoint_id


class GraphSchema(msgspec.Struct, kw_only=True):
    graph_id: str
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    state_schema: dict[str, Any] | None
    config_schema: dict[str, Any] | None
    context_schema: dict[str, Any] | None


class Item(msgspec.Struct, kw_only=True):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: str
    updated_at: str
    score: float | None | msgspec.UnsetType = msgspec.UNSET  # in a search by meaning


class SearchItemsResponse(msgspec.Struct, kw_only=True):
    items: list[Item]


class ListNamespaceResponse(msgspec.Struct, kw_only=True):
    namespaces: list[list[str]]

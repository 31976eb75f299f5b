"""Moved: the storage Protocols are in `protocol.storage`, `GraphSource` in
`protocol.graphsource`. This module re-exports them for code written against it before
the move (the Postgres backend in progress); import from the new places."""

from .graphsource import GraphSource
from .storage import (
    AssistantStore, CheckpointAdmin, CronStore, RunEventStore, RunStore, Storage, StoredEvent, ThreadStore, UnitOfWork,
)

__all__ = [
    "AssistantStore", "CheckpointAdmin", "CronStore", "GraphSource", "RunEventStore", "RunStore", "Storage",
    "StoredEvent", "ThreadStore", "UnitOfWork",
]

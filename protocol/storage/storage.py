"""The whole port: what a backend (`server/storage/<name>/`) provides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .assistants import AssistantStore
from .checkpoints import CheckpointAdmin
from .crons import CronStore
from .events import RunEventStore
from .runs import RunStore
from .threads import ThreadStore
from .unit import UnitOfWork

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.store.base import BaseStore


class Storage(UnitOfWork, Protocol):
    """Read-only members: a backend may hold them as plain attributes of its own types."""

    @property
    def threads(self) -> ThreadStore: ...
    @property
    def runs(self) -> RunStore: ...
    @property
    def assistants(self) -> AssistantStore: ...
    @property
    def crons(self) -> CronStore: ...
    @property
    def events(self) -> RunEventStore: ...
    @property
    def checkpoints(self) -> CheckpointAdmin: ...
    @property
    def saver(self) -> BaseCheckpointSaver[Any]:
        """LangGraph's checkpointer the graphs run with."""
    @property
    def store(self) -> BaseStore:
        """LangGraph's store, shared by the graphs and the /store routes."""
    async def close(self) -> None:
        """Release every connection; the storage is unusable after."""

"""What the runtime needs from the outside world, as small typing Protocols.

`server/` provides the implementations (SQLite by default); `actors/` only sees these.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from .resources import Assistant, Run, RunStatus, Thread


class ThreadStore(Protocol):
    async def get(self, thread_id: str) -> Thread | None: ...
    async def insert(self, thread: Thread) -> bool:
        """False if a thread with that id exists (nothing written)."""
    async def update(self, thread: Thread) -> None: ...
    async def delete(self, thread_id: str) -> bool: ...
    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int,
    ) -> list[Thread]: ...
    async def with_active_runs(self) -> list[str]:
        """Ids of threads that have pending or running runs, for recovery at start-up."""


class RunStore(Protocol):
    async def get(self, run_id: str) -> Run | None: ...
    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> list[Run]: ...
    async def active(self, thread_id: str) -> list[tuple[Run, int]]:
        """Pending and running runs of a thread with their attempt counts, in queue order."""
    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> list[Run]:
        """Pending and/or running runs across all threads, optionally of one assistant."""
    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        """Insert `run` and write `thread` (inserting it if `create_thread`) atomically."""
    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None: ...
    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        """Write a run's final status (None deletes the run) and its thread atomically."""
    async def delete(self, run_id: str) -> bool: ...


class AssistantStore(Protocol):
    async def get(self, assistant_id: str) -> Assistant | None: ...
    async def put(self, assistant: Assistant) -> None: ...
    async def search(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str,
    ) -> list[Assistant]: ...


class CheckpointAdmin(Protocol):
    async def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete every checkpoint (and its writes) that `run_id` wrote on the thread."""
    async def delete_thread(self, thread_id: str) -> None: ...


class GraphSource(Protocol):
    def graph_ids(self) -> list[str]: ...
    def open(self, graph_id: str, config: dict[str, Any], *, checkpointer: bool = True) -> AbstractAsyncContextManager[Any]:
        """The graph ready to run: with the platform checkpointer (unless False) and store."""


class Storage(Protocol):
    threads: ThreadStore
    runs: RunStore
    assistants: AssistantStore
    checkpoints: CheckpointAdmin
    store: Any  # LangGraph's BaseStore, shared by the graphs and the /store routes


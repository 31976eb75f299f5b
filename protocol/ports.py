"""What the runtime needs from the outside world, as small typing Protocols.

`server/` provides the implementations (SQLite by default); `actors/` only sees these.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from .filters import Filter
from .resources import Assistant, AssistantVersion, Cron, Run, RunKwargs, RunStatus, Thread


class ThreadStore(Protocol):
    async def get(self, thread_id: str) -> Thread | None: ...
    async def insert(self, thread: Thread) -> bool:
        """False if a thread with that id exists (nothing written)."""
    async def update(self, thread: Thread) -> None: ...
    async def delete(self, thread_id: str) -> bool: ...
    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        """`metadata` and `values` match by JSON containment (Postgres `@>`); `auth` is an
        authorization filter on the metadata (`protocol.filters`)."""
    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        """How many threads `search` would find without limit and offset."""
    async def needing_recovery(self) -> list[str]:
        """Ids of threads with pending or running runs, or marked busy without any (left
        so by a crash): their supervisors pick them up at start-up."""


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
    async def start(self, run_id: str, kwargs: RunKwargs, *, attempt: int | None) -> None:
        """Mark the run running (at its `attempt`-th start), with the kwargs it runs with."""
    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        """Write a run's final status (None deletes the run) and its thread atomically."""
    async def delete(self, run_id: str) -> bool: ...


StoredEvent = tuple[int, str, bytes]  # (seq, event name, data)


class RunEventStore(Protocol):
    """The persisted event logs of resumable runs. A log goes when its run is deleted."""

    async def append(self, events: list[tuple[str, int, str, bytes]], *, heads: dict[str, int], keep: int) -> None:
        """Add `(run_id, seq, name, data)` rows and move each run's log head up to
        `heads[run_id]` (the last seq it numbered, stored or not: a log does not store
        what a replay leaves out), in one transaction; each run's log then keeps only the
        events of its last `keep` seqs."""
    async def read(self, run_id: str, *, after: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events of the run with seq above `after`, in order."""
    async def bounds(self, run_id: str) -> tuple[int, int] | None:
        """(the first seq kept, the log's head: the last seq ever numbered) of the run's
        log; the first is head + 1 when every event was evicted. None if the run has no
        log."""
    async def unfinished_heads(self) -> dict[str, int]:
        """The log head for each pending or running run: a resumed run goes on from
        there."""
    async def sweep(self, *, finished_before: str, keep_runs: int) -> int:
        """Evict the events of runs that finished before `finished_before` (ISO time) or
        are not among the `keep_runs` most recently finished (their logs remember their
        last seq), and drop logs whose run is gone. Returns how many logs lost events."""


class AssistantStore(Protocol):
    """Assistants and their saved versions. `graph_ids` in search/count is an allow-list:
    assistants of graphs the server does not serve are left out."""

    async def get(self, assistant_id: str) -> Assistant | None: ...
    async def create(self, assistant: Assistant) -> bool:
        """Insert it and its version 1; False if the id is taken (nothing written)."""
    async def reset(self, assistant: Assistant) -> None:
        """Replace it and every version it had by this record as version 1."""
    async def add_version(self, assistant_id: str, change: Callable[[Assistant], Assistant]) -> Assistant | None:
        """Save `change(current)` as the next version (one above the highest) and make it
        current, atomically; None if there is no such assistant."""
    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        """Make a saved version current again; None if that version does not exist."""
    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[AssistantVersion]:
        """Newest first."""
    async def delete(self, assistant_id: str) -> bool:
        """Delete it with its versions and its crons."""
    async def search(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str, auth: Filter | None = None,
    ) -> list[Assistant]: ...
    async def count(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int: ...


class CheckpointAdmin(Protocol):
    async def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete every checkpoint (and its writes) that `run_id` wrote on the thread."""
    async def delete_thread(self, thread_id: str) -> None: ...
    async def copy_thread(self, source_id: str, target_id: str) -> None:
        """Copy every checkpoint and pending write of `source_id`, all namespaces, to
        `target_id` (which must have none), as one consistent snapshot."""
    async def keep_latest(self, thread_id: str) -> None:
        """Delete all but the thread's latest checkpoint (with the subgraph checkpoints that
        belong to it), so its state stays and its history goes."""


class GraphSource(Protocol):
    def graph_ids(self) -> list[str]: ...
    def is_factory(self, graph_id: str) -> bool:
        """Whether the graph is made per use by a factory (the official server records
        more of a factory's run config, `actors.newrun.started_config`)."""
    def open(
        self, graph_id: str, config: dict[str, Any], *, checkpointer: bool = True, access: str = "threads.create_run"
    ) -> AbstractAsyncContextManager[Any]:
        """The graph ready to run: with the platform checkpointer (unless False) and store.
        `access` tells a graph factory why it is called (`assistants.read` to describe it)."""


class CronStore(Protocol):
    async def get(self, cron_id: str) -> Cron | None: ...
    async def insert(self, cron: Cron, *, user: dict[str, Any] | None = None) -> bool:
        """False if its thread is gone (nothing written). `user`: who it runs as."""
    async def user(self, cron_id: str) -> dict[str, Any] | None:
        """Who the cron runs as (None without custom auth)."""
    async def update(self, cron_id: str, change: Callable[[Cron], Cron]) -> Cron | None:
        """Replace a cron by `change(current)` in one transaction; None if there is none."""
    async def delete(self, cron_id: str) -> bool: ...
    async def search(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None,
        metadata: dict[str, Any] | None, limit: int, offset: int, sort_by: str, sort_order: str,
        auth: Filter | None = None,
    ) -> list[Cron]: ...
    async def count(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int: ...
    async def due(self, now: str, *, limit: int) -> list[Cron]:
        """Enabled crons whose next_run_date is at or before `now`, earliest first."""
    async def advance(self, cron_id: str, slot: str, next_run_date: str | None) -> bool:
        """Claim the due `slot`: move next_run_date on (None also disables the cron) only if
        it still equals `slot`. False if another claim or an update came first."""


class Storage(Protocol):
    threads: ThreadStore
    runs: RunStore
    assistants: AssistantStore
    crons: CronStore
    checkpoints: CheckpointAdmin
    events: RunEventStore
    store: Any  # LangGraph's BaseStore, shared by the graphs and the /store routes


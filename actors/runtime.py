"""The runtime the HTTP layer talks to: storage, graphs, the global run slots, the event
logs and the thread supervisors, wired together."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from threadloom.protocol.errors import ServiceUnavailable
from threadloom.protocol.ids import uuid7
from threadloom.protocol.graphsource import GraphSource
from threadloom.protocol.ownership import Janitor, ThreadOwnership
from threadloom.protocol.priority import PriorityPolicy
from threadloom.protocol.storage import Storage
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, Run, Thread
from threadloom.protocol.ttl import ThreadTtl
from threadloom.protocol.users import run_configurable

from .eventlog import RunStream
from .execution import Action, RunExecution
from .metrics import Metrics
from .ownership import SingleProcess, alone
from .registry import SupervisorRegistry
from .slots import RunSlots
from .streams import Retention, StreamRegistry
from .supervisor import (
    Cancel,
    CopyThread,
    CreateThread,
    DeleteRun,
    DeleteThread,
    Expire,
    KeepLatest,
    PatchThread,
    Submit,
    UpdateState,
)
from .contexts import StoredContext, fresh_context
from .threaddeps import ThreadDeps
from .webhooks import Webhooks

RECOVERING_AT_ONCE = 8  # supervisors starting at once at a restart (PostgreSQL's pool has 10 connections)


@dataclass(frozen=True)
class RuntimeSettings:
    jobs: int = 10  # runs executing at once, across all threads
    stream_buffer: int = 100_000  # events a live subscriber may fall behind
    resumable_events: int = 100_000  # events kept per resumable run
    keep_finished_streams: int = 1_000  # finished resumable runs kept for replay
    supervisor_idle_seconds: float = 30.0
    max_attempts: int = 3  # starts of one run (crashes mid-run count) before it fails
    stream_retention: Retention = field(default_factory=Retention)  # how long finished runs' persisted logs keep their events
    api_url: str | None = None  # LANGGRAPH_API_URL: where this server is reached (runs' `langgraph_api_url`)
    ask_seconds: float = 60.0  # longest wait for a thread's supervisor to answer (`AskTimeout` after)
    default_ttl: ThreadTtl | None = None  # the TTL of threads created without one (`checkpointer.ttl`)


class Runtime:
    def __init__(
        self, storage: Storage, graphs: GraphSource, settings: RuntimeSettings, webhooks: Webhooks,
        ownership: ThreadOwnership | None = None, resumed_in: StoredContext[Run] = fresh_context,
        priority: PriorityPolicy | None = None, janitor: Janitor = alone,
    ) -> None:
        """`ownership`: which threads this process may supervise (all, by default);
        `resumed_in`: the context a run picked up from storage executes in (a fresh one
        by default: the request that submitted it is gone); `priority`: the project's run
        priority, if any; `janitor`: whether this process does the periodic clean-ups (one
        process of a cluster does)."""
        ownership = ownership or SingleProcess()
        self.storage = storage
        self.graphs = graphs
        self.settings = settings
        self.webhooks = webhooks
        self.slots = RunSlots(settings.jobs)
        self.streams = StreamRegistry(
            buffer=settings.stream_buffer,
            resumable_capacity=settings.resumable_events,
            keep_finished=settings.keep_finished_streams,
            store=storage.events,
            retention=settings.stream_retention,
            janitor=janitor,
        )
        self.metrics = Metrics()
        deps = ThreadDeps(
            threads=storage.threads, runs=storage.runs, checkpoints=storage.checkpoints, graphs=graphs,
            streams=self.streams, webhooks=webhooks, slots=self.slots, metrics=self.metrics, ownership=ownership,
            max_attempts=settings.max_attempts, api_url=settings.api_url, closing=lambda: self.closing,
            resumed_in=resumed_in,
            priority=priority, default_ttl=settings.default_ttl,
        )
        self.supervisors = SupervisorRegistry(deps, idle_seconds=settings.supervisor_idle_seconds)
        self.closing = False  # set when shutdown begins: dropped connections are not disconnects then

    async def start(self) -> None:
        """Wake the supervisors of threads a previous process left unfinished."""
        await self.streams.start()  # first: resumed runs' logs go on from the persisted ones
        # A few at a time: each supervisor makes a few storage calls as it starts, and
        # thousands at once would overflow PostgreSQL's pool (refused beyond its queue) and
        # hold the loop. Serve once they all hold their runs again: a join or stream of a
        # recovered run then finds it live, not finished (on a database whose reads await,
        # requests would otherwise come in between).
        gate = asyncio.Semaphore(RECOVERING_AT_ONCE)

        async def recover(thread_id: str) -> None:
            async with gate:
                await self.supervisors.get(thread_id).started()

        await asyncio.gather(*(recover(thread_id) for thread_id in await self.storage.threads.needing_recovery()))

    async def take_over(self, thread_id: str) -> None:
        """Supervise a thread whose owner died (another process of the cluster): its
        supervisor acquires it, then resumes its runs as at a restart. Not awaited: the
        caller is the lease's heartbeat, which must not wait for recoveries."""
        if not self.closing:
            self.supervisors.get(thread_id)

    async def drain(self, grace_seconds: float) -> None:
        """Shut down gently: start no more runs, let running ones finish for up to
        `grace_seconds`, hand the rest back as pending (resumed by the next process),
        then end every stream."""
        self.closing = True
        if running := _tasks(self.supervisors.executions()):
            await asyncio.wait(running, timeout=grace_seconds)
        left = self.supervisors.executions()
        for execution in left:
            execution.cancel("requeue", "server shutting down")
        if unfinished := _tasks(left):
            await asyncio.wait(unfinished)
        self.streams.close_all()

    async def stop(self) -> None:
        """Stop each part in turn, every one even when an earlier one raised."""
        async with contextlib.AsyncExitStack() as parts:  # exits in reverse
            parts.push_async_callback(self.webhooks.stop)  # last: runs that ended while stopping report too
            parts.push_async_callback(self.streams.stop)  # persist the last events of the runs just stopped
            parts.push_async_callback(self.supervisors.stop)
            self.streams.close_threads()

    async def submit(
        self, thread_id: str | None, request: RunCreate, assistant: Assistant, caller: dict[str, Any] | None = None,
        *, api_url: str | None = None,
    ) -> tuple[Run, RunStream]:
        """Create a run (on a new temporary thread when `thread_id` is None). `caller`: the
        configurable keys naming who asked (`protocol.users.run_configurable`, the request id);
        `api_url`: where the request reached this server (else `settings.api_url`)."""
        if self.closing:
            raise ServiceUnavailable("The server is shutting down: retry shortly")
        await self.webhooks.check(request.webhook)  # a 422 before anything is created
        submit = Submit(
            request, assistant, thread_id is None, caller or run_configurable(None), api_url or self.settings.api_url
        )
        if thread_id is None:
            return await self._ask(uuid7(), submit, minted=True)
        return await self._ask(thread_id, submit)

    async def _ask(self, thread_id: str, message: Any, *, minted: bool = False) -> Any:
        return await self.supervisors.get(thread_id, minted=minted).ask(message, timeout=self.settings.ask_seconds)

    async def cancel(self, thread_id: str, run_ids: list[str] | None, action: Action, reason: str) -> list[str]:
        return await self._ask(thread_id, Cancel(run_ids, action, reason))

    async def delete_thread(self, thread_id: str) -> bool:
        return await self._ask(thread_id, DeleteThread())

    async def cancel_runs(self, runs: list[Run], action: Action, reason: str) -> list[str]:
        """Cancel runs across threads (each thread's supervisor cancels its own); returns
        the ids that were still pending or running."""
        by_thread: dict[str, list[str]] = {}
        for run in runs:
            by_thread.setdefault(run.thread_id, []).append(run.run_id)
        cancelled = await asyncio.gather(
            *(self._ask(tid, Cancel(ids, action, reason, missing_ok=True)) for tid, ids in by_thread.items())
        )
        return [run_id for ids in cancelled for run_id in ids]

    def cancel_soon(self, thread_id: str, run_id: str, reason: str) -> None:
        """Interrupt a run without waiting, e.g. when its client went away."""
        if not self.closing:
            self.supervisors.get(thread_id).tell(Cancel([run_id], "interrupt", reason, missing_ok=True))

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        await self._ask(thread_id, DeleteRun(run_id))

    async def patch_thread(self, thread_id: str, metadata: dict[str, Any], ttl: ThreadTtl | None = None) -> Thread:
        return await self._ask(thread_id, PatchThread(metadata, ttl))

    async def create_thread(
        self, thread: Thread, supersteps: list[Any] | None = None, *, caller: dict[str, Any] | None = None,
        ttl: ThreadTtl | None = None,
    ) -> Thread | None:
        """The thread's record as created; None if the thread exists. With `supersteps`,
        the thread is created only if they all apply (as `caller`); `ttl`: else
        `settings.default_ttl`."""
        return await self._ask(thread.thread_id, CreateThread(thread, supersteps, caller or {}, ttl))

    async def expire(self, thread_id: str, now: str) -> bool:
        """Apply the thread's TTL if it has run out at `now` (the TTL sweeper's)."""
        return await self._ask(thread_id, Expire(now))

    async def copy_thread(self, source_id: str, copy: Thread) -> bool:
        """Create `copy` with `source_id`'s checkpoints; False if it exists."""
        return await self._ask(copy.thread_id, CopyThread(copy, source_id))

    async def keep_latest(self, thread_id: str) -> bool:
        """Drop the thread's history but its latest checkpoint; False if it is gone."""
        return await self._ask(thread_id, KeepLatest())

    async def update_state(
        self, thread_id: str, values: Any, *, as_node: str | None = None, checkpoint: dict[str, Any] | None = None,
        caller: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return await self._ask(thread_id, UpdateState(values, as_node, checkpoint, caller or {}))


def _tasks(executions: list[RunExecution]) -> list[asyncio.Task[None]]:
    return [e.task for e in executions if e.task is not None]

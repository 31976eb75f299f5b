"""The supervisor of one thread: the only writer of its run queue and statuses.

Every decision about the thread's runs is a message handled in its mailbox, one at a
time, so multitask strategies (reject, interrupt, rollback, enqueue) need no lock and
cannot race. It starts one run at a time in FIFO order (by start time, then arrival),
cancels runs, and persists each outcome before the run's stream is allowed to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from datetime import datetime
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import msgspec
from langgraph.types import StateUpdate

from threadloom.protocol import clock
from threadloom.protocol.errors import NOTHING_TO_CANCEL, THREAD_BUSY, THREAD_OR_ASSISTANT_NOT_FOUND, BadRequest, Conflict, NotFound
from threadloom.protocol.graphsource import Access
from threadloom.protocol.ids import uuid7
from threadloom.protocol.priority import DEFAULT_PRIORITY, ThreadPriority
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, Run, Thread, ThreadStatus
from threadloom.protocol.serde import dumps, error_message, to_builtins
from threadloom.protocol.state import thread_state
from threadloom.protocol.ttl import ThreadTtl
from threadloom.protocol.webhooks import RunEnded

from .actor import Actor, ActorStopped
from .eventlog import RunStream
from .execution import (
    Action,
    FinalState,
    Finished,
    Outcome,
    RunExecution,
    Started,
    cancelled_error,
    command,
    interrupts_by_task,
)
from . import threadconfig
from .newrun import new_run, thread_for_run
from .threaddeps import ThreadDeps

T = TypeVar("T")

NO_GRAPH = (
    "Thread '{thread_id}' has no assigned graph ID. This usually occurs when no runs have been made on this "
    "particular thread. This operation requires a graph ID. Please ensure a run has been made for the thread or "
    "manually update the thread metadata (by setting the 'graph_id' field) before running this operation."
)


class Submit(msgspec.Struct):
    request: RunCreate
    assistant: Assistant
    stateless: bool = False
    caller: dict[str, Any] = {}  # who asked: configurable keys the run carries
    api_url: str | None = None  # where this server is reached: the run's `langgraph_api_url`


class Cancel(msgspec.Struct):
    run_ids: list[str] | None  # None: every pending and running run
    action: Action
    reason: str
    missing_ok: bool = False


class DeleteRun(msgspec.Struct):
    run_id: str


class PatchThread(msgspec.Struct):
    metadata: dict[str, Any]
    ttl: ThreadTtl | None = None  # the thread's new TTL, counted from this update


class DeleteThread(msgspec.Struct):
    pass


class CreateThread(msgspec.Struct):
    thread: Thread
    supersteps: list[Any] | None = None  # [{"updates": [{"values", "command", "as_node"}]}]
    caller: dict[str, Any] = {}  # who asked: configurable keys for the graph
    ttl: ThreadTtl | None = None  # else the project's default, if any


class CopyThread(msgspec.Struct):
    """Create this (new) thread as a copy of `source_id`'s checkpoints."""

    thread: Thread
    source_id: str


class KeepLatest(msgspec.Struct):
    """Prune the thread's history: keep only its latest checkpoint."""


class Expire(msgspec.Struct):
    """Apply the thread's TTL if it has run out at `now` and the thread is idle."""

    now: str


class UpdateState(msgspec.Struct):
    values: Any
    as_node: str | None = None
    checkpoint: dict[str, Any] | None = None  # update from this checkpoint, not the latest
    caller: dict[str, Any] = {}


class _Wake(msgspec.Struct):
    pass


class _Queued(msgspec.Struct):
    run: Run
    attempt: int
    stream: RunStream
    start_at: datetime
    api_url: str | None  # where the run's request reached this server (its `langgraph_api_url`)
    # the context the run executes in: its request's (the encryption context its writes
    # are made in); for a run picked up after a restart, what `ThreadDeps.resumed_in` rebuilds
    context: contextvars.Context


class NotOwner(Exception):
    """Another process supervises the thread."""


class ThreadSupervisor(Actor):
    def __init__(
        self, thread_id: str, deps: ThreadDeps, *, on_idle: Callable[[ThreadSupervisor], None] = lambda _: None,
        minted: bool = False,
    ) -> None:
        """`on_idle`: told when the supervisor has nothing left to do (to reap it).
        `minted`: the thread's id was just minted here (a stateless run's): nothing of it
        is stored yet, nothing is read."""
        super().__init__()
        self.thread_id = thread_id
        # the thread's record as this supervisor last read or wrote it (while it holds the
        # thread it is the record's only writer): `(record,)`, `(None,)` when none is
        # stored, None when not known (not read yet, a write of it failed, or the
        # supervisor went idle: one waiting to be reaped holds no copy of its thread)
        self._record: tuple[Thread | None] | None = (None,) if minted else None
        self.deps = deps
        self._on_idle = on_idle
        self.queue: list[_Queued] = []
        self.current: RunExecution | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._resting: ThreadStatus = "idle"  # the status the thread returns to when no run is left
        self._priority: ThreadPriority | None = None  # the thread's settings, once known

    @property
    def busy(self) -> bool:
        return self.current is not None or bool(self.queue)

    async def on_start(self) -> None:
        """Pick up the runs a previous process left pending or running, in order. A run
        that has been started `max_attempts` times already fails instead. A thread another
        process supervises is not touched: the supervisor fails to start, and stops."""
        if not await self.deps.ownership.acquire(self.thread_id):
            raise NotOwner(f"thread {self.thread_id} is supervised by another process")
        # what holding the thread set up (the fence of its lease, which every write for the
        # thread must pass): in force for each message, and each run (`_advance`)
        self.keep_own_context()
        thread = await self._stored()
        if thread is None:  # a thread not made yet (its runs go with its record): nothing to pick up
            self._advance()
            return
        if thread.status != "busy":
            self._resting = thread.status
        self._priority = await self.deps.threads.priority(self.thread_id)
        exhausted = []
        active = await self.deps.runs.active(self.thread_id)
        if active:  # their logs go on from what was persisted, wherever they ran before
            await self.deps.streams.learn_heads()
        for run, attempts in active:
            if attempts >= self.deps.max_attempts:
                exhausted.append((run, attempts))
            else:  # a run that was running starts its next attempt
                self._enqueue(run, attempts + 1, self.deps.api_url, await self.deps.resumed_in(run))
        for run, attempts in exhausted:
            await self._fail_exhausted(run, attempts)
        if thread.status == "busy" and not self.busy and not exhausted:
            await self._settle_abandoned(thread)
        self._advance()

    async def _fail_exhausted(self, run: Run, attempts: int) -> None:
        error = {
            "error": "RunAttemptsExceeded",
            "message": f"Run {run.run_id} exceeded max attempts: the server stopped {attempts} times while running it",
        }
        thread = await self._stored()
        if thread is not None:
            self._resting = "error"
            status = "busy" if self.busy else "error"
            thread = msgspec.structs.replace(thread, status=status, error=error, updated_at=clock.now_iso())
        await self._writing(thread, self.deps.runs.finish(thread, run.run_id, "error"))
        self.deps.metrics.run_finished("error")
        self._report(run, "error", error)

    async def _settle_abandoned(self, thread: Thread) -> None:
        """Busy with nothing to run: the thread's status follows its last checkpoint."""
        graph_id = thread.metadata.get("graph_id")
        if graph_id in self.deps.graphs.graph_ids():
            config = {"configurable": {"thread_id": self.thread_id, "graph_id": graph_id}}
            async with self.deps.graphs.open(graph_id, config, access="threads.read") as graph:
                snapshot = await graph.aget_state({"configurable": {"thread_id": self.thread_id}})
            settled = self._with_state(thread, snapshot)
            await self._writing(settled, self.deps.threads.update(settled))
        else:
            await self._rest_after_pending_cancel()

    async def on_stop(self) -> None:
        """At shutdown the running run goes back to pending, to be resumed on restart."""
        if self._timer is not None:
            self._timer.cancel()
        execution = self.current
        if execution is not None and execution.task is not None:
            execution.cancel("requeue", "server shutting down")
            await asyncio.wait([execution.task])
            # handed back, not failed: the interrupted attempt does not count
            await self.deps.runs.set_status(execution.run.run_id, "pending", attempt=execution.attempt - 1)
        for queued in self.queue:
            queued.stream.close()
        await self.deps.ownership.release(self.thread_id)

    async def receive(self, message: Any) -> Any:
        match message:
            case Submit():
                return await self._submit(message)
            case Started(run=run):
                await self.deps.runs.start(run.run_id, run.kwargs, attempt=self._attempt(run.run_id))
            case Finished(outcome=outcome):
                await self._finished(outcome)
            case Cancel():
                return await self._cancel(message, missing_ok=message.missing_ok)
            case DeleteRun(run_id=run_id):
                return await self._delete_run(run_id)
            case PatchThread():
                return await self._patch_thread(message)
            case DeleteThread():
                return await self._delete_thread()
            case CreateThread():
                return await self._create_thread(message)
            case CopyThread():
                return await self._copy_thread(message)
            case KeepLatest():
                return await self._keep_latest()
            case UpdateState():
                return await self._update_state(message)
            case Expire(now=now):
                return await self._expire(now)
            case _Wake():
                self._timer = None
                self._advance()
            case _:
                raise TypeError(f"unexpected message {message!r}")
        return None

    async def _stored(self) -> Thread | None:
        """The thread's record, if it is stored: as last read or written here, else read."""
        if self._record is None:
            self._record = (await self.deps.threads.get(self.thread_id),)
        return self._record[0]

    async def _writing(self, record: Thread | None, write: Awaitable[T]) -> T:
        """`write`, which leaves the thread's record as `record` (None: deleted)."""
        self._record = None  # not known if it fails
        result = await write
        self._record = (record,)
        return result

    async def _inserting(self, record: Thread) -> bool:
        """Insert the thread's record; False if one exists."""
        self._record = None
        inserted = await self.deps.threads.insert(record)
        if inserted:
            self._record = (record,)
        return inserted

    def after_message(self) -> None:
        if not self.busy:
            self._record = None
            self._on_idle(self)

    # submit --------------------------------------------------------------------------------

    async def _submit(self, message: Submit) -> tuple[Run, RunStream]:
        req = message.request
        strategy = "enqueue" if message.stateless else req.multitask_strategy or "enqueue"
        existing = await self._stored()
        if existing is None and not message.stateless and req.if_not_exists != "create":
            raise NotFound(THREAD_OR_ASSISTANT_NOT_FOUND)
        if strategy == "reject" and self.busy:
            raise Conflict(THREAD_BUSY)
        thread = thread_for_run(req, message.assistant, existing, self.thread_id)
        run = new_run(
            req,
            run_id=uuid7(),
            assistant=message.assistant,
            thread=thread,
            creates_thread=existing is None,
            temporary=message.stateless and req.on_completion != "keep",
            strategy=strategy,
            caller=message.caller,
        )
        await self._writing(thread, self.deps.runs.begin(thread, run, create_thread=existing is None))
        if existing is None and not run.kwargs.temporary:
            await self._set_ttl(None)
        await self._assign_priority(run, thread, message)
        if strategy in ("interrupt", "rollback"):
            reason = f"superseded by run {run.run_id} (multitask_strategy={strategy})"
            await self._cancel(Cancel(None, strategy, reason), missing_ok=True)
        stream = self._enqueue(run, 1, message.api_url)
        self._advance()
        return run, stream

    async def _assign_priority(self, run: Run, thread: Thread, message: Submit) -> None:
        """At the first run of a thread without settings, ask the project's policy."""
        if self._priority is not None or self.deps.priority is None:
            return
        settings = await self.deps.priority.assign(run, thread, message.assistant, stateless=message.stateless)
        if settings is not None:
            await self.deps.threads.set_priority(self.thread_id, settings)
            self._priority = settings

    def _enqueue(
        self, run: Run, attempt: int, api_url: str | None, context: contextvars.Context | None = None
    ) -> RunStream:
        """`context`: what the run executes in; by default a copy of the current one (the
        submitting request's)."""
        stream = self.deps.streams.open(run.run_id, resumable=run.kwargs.resumable, modes=run.kwargs.stream_mode)
        start_at = clock.parse_iso(run.created_at)
        self.queue.append(_Queued(run, attempt, stream, start_at, api_url, context or contextvars.copy_context()))
        self.queue.sort(key=lambda q: q.start_at)  # stable: arrival order among equals
        return stream

    def _advance(self) -> None:
        """Start the next run if none is running and the head of the queue is due (and
        the server is not shutting down)."""
        if self.current is not None or not self.queue or self.deps.closing():
            return
        head = self.queue[0]
        delay = (head.start_at - clock.now()).total_seconds()
        if delay > 0:
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(delay, self._wake)
            return
        self.queue.pop(0)
        priority = self._priority.priority if self._priority is not None else DEFAULT_PRIORITY
        self.current = RunExecution(
            head.run, head.attempt, head.stream, self.deps, self, api_url=head.api_url,
            context=self.with_kept(head.context), priority=priority,
        )
        self.current.start()

    def _wake(self) -> None:
        with contextlib.suppress(ActorStopped):  # stopped meanwhile: the next process wakes it
            self.tell(_Wake())

    def _attempt(self, run_id: str) -> int | None:
        return self.current.attempt if self.current and self.current.run.run_id == run_id else None

    # outcomes --------------------------------------------------------------------------------

    async def _finished(self, outcome: Outcome) -> None:
        execution, self.current = self.current, None
        assert execution is not None and execution.run.run_id == outcome.run_id
        self.deps.metrics.run_finished(outcome.status)
        if outcome.status == "requeue":  # handed back at shutdown: the attempt does not count
            await self.deps.runs.set_status(outcome.run_id, "pending", attempt=execution.attempt - 1)
            return
        if execution.run.kwargs.temporary and not self.busy:
            # A temporary run executes without a checkpointer, so its thread holds no
            # checkpoints: deleting the record, and its runs with it, is all there is to
            # write (not the run's outcome first, nor a saver round trip; nothing if the
            # thread was deleted while the run went on).
            await self._writing(None, self.deps.threads.delete(self.thread_id))
        else:
            thread = await self._stored()
            if thread is not None:
                thread = self._settled(thread, outcome, execution.run.kwargs.config["configurable"]["graph_id"])
            run_status = None if outcome.status == "rollback" else outcome.status
            await self._writing(thread, self.deps.runs.finish(thread, outcome.run_id, run_status))  # type: ignore[arg-type]
            if thread is None:  # deleted while the run was writing: drop what it wrote since
                await self.deps.checkpoints.delete_thread(self.thread_id)
        self._report(execution.run, outcome.status, outcome.error, outcome.state, outcome.started_at, outcome.ended_at)
        run_done = dumps({"status": "run_done", "run_id": outcome.run_id})
        self.deps.streams.thread_publish(self.thread_id, "metadata", run_done)
        self.deps.streams.finished(outcome.run_id)
        self._advance()

    def _report(
        self, run: Run, status: str, error: dict[str, Any] | None, state: FinalState | None = None,
        started_at: datetime | None = None, ended_at: datetime | None = None,
    ) -> None:
        """Tell the run's webhook, if it has one, how the run ended (in the background:
        the thread goes on at once)."""
        values = None if state is None else state.values
        self.deps.webhooks.notify(RunEnded(run, status, started_at, ended_at or clock.now(), values, error))

    def _settled(self, thread: Thread, outcome: Outcome, graph_id: str) -> Thread:
        """The thread once the run of `graph_id` has ended: its status, state and error,
        and (as on the official server) the run's graph in its metadata."""
        state = outcome.state
        now = clock.now_iso()
        changes: dict[str, Any] = {"updated_at": now, "error": outcome.error, "metadata": {**thread.metadata, "graph_id": graph_id}}
        if state is not None:
            changes.update(values=state.values, interrupts=state.interrupts, state_updated_at=now)
        if outcome.status == "error":
            self._resting = "error"
        elif state is not None:
            self._resting = "interrupted" if state.next else "idle"
        status = "busy" if self.busy else self._resting
        return msgspec.structs.replace(thread, status=status, **changes)

    # cancellation ------------------------------------------------------------------------------

    async def _cancel(self, message: Cancel, *, missing_ok: bool = False) -> list[str]:
        wanted = None if message.run_ids is None else set(message.run_ids)
        cancelled: list[str] = []
        for queued in [q for q in self.queue if wanted is None or q.run.run_id in wanted]:
            self.queue.remove(queued)
            run_id = queued.run.run_id
            if message.action == "rollback":
                await self.deps.runs.delete(run_id)
            else:
                await self.deps.runs.set_status(run_id, "interrupted")
            queued.stream.close()
            self.deps.streams.finished(run_id)
            status = "rollback" if message.action == "rollback" else "interrupted"
            self.deps.metrics.run_finished(status)
            self._report(queued.run, status, cancelled_error(message.action, message.reason))
            cancelled.append(run_id)
        current = self.current
        if current is not None and (wanted is None or current.run.run_id in wanted):
            current.cancel(message.action, message.reason)
            cancelled.append(current.run.run_id)
        if not cancelled and not missing_ok:
            raise NotFound(NOTHING_TO_CANCEL)
        if cancelled and not self.busy:
            await self._rest_after_pending_cancel()
        return cancelled

    async def _rest_after_pending_cancel(self) -> None:
        """Only pending runs were cancelled and nothing is left: the thread is no longer busy."""
        thread = await self._stored()
        if thread is None or thread.status != "busy":
            return
        rested = msgspec.structs.replace(thread, status=self._resting, updated_at=clock.now_iso())
        await self._writing(rested, self.deps.threads.update(rested))

    async def _delete_run(self, run_id: str) -> None:
        """An active run is rolled back; a finished one is deleted with its checkpoints."""
        active = [q.run.run_id for q in self.queue] + ([self.current.run.run_id] if self.current else [])
        if run_id in active:
            await self._cancel(Cancel([run_id], "rollback", f"run {run_id} deleted"))
            return
        await self.deps.runs.delete(run_id)
        await self.deps.checkpoints.delete_run(self.thread_id, run_id)

    async def _patch_thread(self, message: PatchThread) -> Thread:
        thread = await self._stored()
        if thread is None:
            raise NotFound(f"Thread with ID {self.thread_id} not found")
        metadata = {**thread.metadata, **message.metadata}
        thread = msgspec.structs.replace(thread, metadata=metadata, updated_at=clock.now_iso())
        await self._writing(thread, self.deps.threads.update(thread))
        if message.ttl is not None:
            await self.deps.threads.set_ttl(self.thread_id, message.ttl)
        return thread

    # time-to-live ------------------------------------------------------------------------------

    async def _set_ttl(self, ttl: ThreadTtl | None) -> None:
        """A new thread's TTL: the one asked for, else the project's default (so threads
        created before a default was configured never get one)."""
        if (ttl := ttl or self.deps.default_ttl) is not None:
            await self.deps.threads.set_ttl(self.thread_id, ttl)

    async def _expire(self, now: str) -> bool:
        """Checked again here, in the mailbox: a run or an update since the sweep looked
        keeps the thread."""
        if self.busy or not (expired := await self.deps.threads.expired(now, 1, thread_id=self.thread_id)):
            return False
        if expired[0].strategy == "delete":
            return await self._delete_thread()
        await self.deps.checkpoints.keep_latest(self.thread_id)
        await self.deps.threads.pruned(self.thread_id)
        return True

    # thread state ------------------------------------------------------------------------------

    async def _create_thread(self, message: CreateThread) -> Thread | None:
        """Insert the thread, after applying its `supersteps` (all or nothing): the record
        written, or None if the thread exists."""
        thread = message.thread
        if await self._stored() is not None:
            return None
        if message.supersteps:
            graph_id = thread.metadata.get("graph_id")
            if graph_id not in self.deps.graphs.graph_ids():
                raise BadRequest("supersteps need the thread's metadata.graph_id to name a registered graph")
            try:
                snapshot = await self._apply(thread, graph_id, "threads.update", lambda graph, config: graph.abulk_update_state(config, _supersteps(message.supersteps)), message.caller)
            except Exception as exc:
                await self.deps.checkpoints.delete_thread(self.thread_id)
                raise BadRequest(f"Could not apply supersteps: {error_message(exc)}") from None
            thread = self._with_state(thread, snapshot)
        if not await self._inserting(thread):
            return None
        await self._set_ttl(message.ttl)
        return thread

    async def _copy_thread(self, message: CopyThread) -> bool:
        """False if the thread exists; else its checkpoints are the source's, and none
        are left behind if the insert fails."""
        if await self._stored() is not None:
            return False
        await self.deps.checkpoints.copy_thread(message.source_id, self.thread_id)
        try:
            inserted = await self._inserting(message.thread)
        except BaseException:
            await self.deps.checkpoints.delete_thread(self.thread_id)
            raise
        if not inserted:
            await self.deps.checkpoints.delete_thread(self.thread_id)
        else:
            await self._set_ttl(None)
        return inserted

    async def _keep_latest(self) -> bool:
        """False if the thread is gone."""
        if await self._stored() is None:
            return False
        await self.deps.checkpoints.keep_latest(self.thread_id)
        return True

    async def _update_state(self, message: UpdateState) -> dict[str, Any]:
        if self.busy:
            raise Conflict(f"Thread {self.thread_id} has a pending or running run: cancel it or wait for it before updating the state.")
        thread = await self._stored()
        if thread is None:
            raise NotFound(f"Thread with ID {self.thread_id} not found")
        graph_id = self._graph_to_update(thread)
        fields = {k: v for k, v in (message.checkpoint or {}).items() if k in ("checkpoint_id", "checkpoint_ns", "checkpoint_map")}
        written: dict[str, Any] = {}

        async def update(graph: Any, config: dict[str, Any]) -> None:
            start = {"configurable": {**config["configurable"], **fields}}
            try:
                written.update(await graph.aupdate_state(start, message.values, as_node=message.as_node))
            except Exception as exc:  # values, as_node or checkpoint the graph cannot take
                raise BadRequest(error_message(exc)) from None  # LangGraph's words (as on the official server), or masked

        snapshot = await self._apply(thread, graph_id, "threads.update", update, message.caller)
        updated = self._with_state(thread, snapshot)
        await self._writing(updated, self.deps.threads.update(updated))
        conf = written["configurable"]
        ref = {"thread_id": conf["thread_id"], "checkpoint_ns": conf.get("checkpoint_ns", ""), "checkpoint_id": conf["checkpoint_id"]}
        return {"checkpoint": ref, "configurable": ref, "checkpoint_id": ref["checkpoint_id"]}

    def _graph_to_update(self, thread: Thread) -> str:
        """The graph a state update of the thread goes through, or the official server's error."""
        graph_id = thread.metadata.get("graph_id")
        if not graph_id:
            raise BadRequest(NO_GRAPH.format(thread_id=self.thread_id))
        known = self.deps.graphs.graph_ids()
        if graph_id not in known:
            raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(known)}")
        return str(graph_id)

    async def _apply(self, thread: Thread, graph_id: str, access: Access, change: Any, caller: dict[str, Any]) -> Any:
        """Apply `change(graph, config)` to the thread's state as `caller`, with the graph
        built for the config its runs' assistants left on the thread; publish and return
        the new state."""
        config = {"configurable": {**caller, "thread_id": self.thread_id, "checkpoint_ns": "", "graph_id": graph_id}}
        built_with = threadconfig.for_state(thread, graph_id, caller)
        async with self.deps.graphs.open(graph_id, built_with, access=access) as graph:
            await change(graph, config)
            snapshot = await graph.aget_state({"configurable": {"thread_id": self.thread_id}})
        event = dumps({"state": thread_state(snapshot), "thread_id": self.thread_id})
        self.deps.streams.thread_publish(self.thread_id, "state_update", event)
        return snapshot

    def _with_state(self, thread: Thread, snapshot: Any) -> Thread:
        """`thread` at the state `snapshot` (set from outside a run: no error, as on the
        official server, where a state update clears a failed run's)."""
        self._resting = "interrupted" if snapshot.next else "idle"
        now = clock.now_iso()
        return msgspec.structs.replace(
            thread, values=to_builtins(snapshot.values), interrupts=interrupts_by_task(snapshot), error=None,
            status=self._resting, updated_at=now, state_updated_at=now,
        )

    async def _delete_thread(self) -> bool:
        if self.busy:
            await self._cancel(Cancel(None, "interrupt", "thread deleted"), missing_ok=True)
        deleted = await self._writing(None, self.deps.threads.delete(self.thread_id))
        await self.deps.checkpoints.delete_thread(self.thread_id)
        return deleted


def _supersteps(supersteps: list[Any]) -> list[list[StateUpdate]]:
    """The API's `[{"updates": [{"values", "command", "as_node"}]}]` as LangGraph's."""
    steps = []
    for step in supersteps:
        updates = step.get("updates", []) if isinstance(step, dict) else []
        steps.append([
            # LangGraph takes a Command where its type says values
            StateUpdate(cast(Any, command(u["command"])) if u.get("command") else u.get("values"), u.get("as_node"))
            for u in updates
        ])
    return steps

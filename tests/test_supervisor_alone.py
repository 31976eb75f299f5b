"""A thread's supervisor built alone, from its narrow dependencies (`actors/threaddeps.py`)
with in-memory stand-ins for storage, graphs and webhooks: no server, no database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import msgspec
import pytest

from threadloom.actors.actor import ActorStopped
from threadloom.actors.registry import SupervisorRegistry
from threadloom.actors.slots import RunSlots
from threadloom.actors.streams import StreamRegistry
from threadloom.actors.supervisor import CreateThread, KeepLatest, PatchThread, ThreadSupervisor, UpdateState
from threadloom.actors.threaddeps import ThreadDeps
from threadloom.protocol.errors import BadRequest
from threadloom.protocol.priority import ThreadPriority
from threadloom.protocol.resources import Run, RunKwargs, RunStatus, Thread
from threadloom.protocol.serde import MASKED_MESSAGE

NOW = "2030-01-01T00:00:00+00:00"


class MemoryThreads:
    def __init__(self, *threads: Thread) -> None:
        self.rows = {t.thread_id: t for t in threads}

    async def get(self, thread_id: str) -> Thread | None:
        return self.rows.get(thread_id)

    async def insert(self, thread: Thread) -> bool:
        return self.rows.setdefault(thread.thread_id, thread) is thread

    async def update(self, thread: Thread) -> None:
        self.rows[thread.thread_id] = thread

    async def delete(self, thread_id: str) -> bool:
        return self.rows.pop(thread_id, None) is not None

    async def priority(self, thread_id: str) -> ThreadPriority | None:
        return None


class MemoryRuns:
    def __init__(self, *active: tuple[Run, int], threads: MemoryThreads | None = None) -> None:
        self.rows = {run.run_id: (run, attempt) for run, attempt in active}
        self.threads = threads  # a run's end writes its thread too
        self.finished: dict[str, RunStatus | None] = {}

    async def active(self, thread_id: str) -> list[tuple[Run, int]]:
        return [(r, a) for r, a in self.rows.values() if r.thread_id == thread_id and r.status in ("pending", "running")]

    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        self.finished[run_id] = status
        if thread is not None and self.threads is not None:
            await self.threads.update(thread)
        run, attempt = self.rows[run_id]
        self.rows[run_id] = (msgspec.structs.replace(run, status=status or run.status), attempt)


class RecordingCheckpoints:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def keep_latest(self, thread_id: str) -> None:
        self.calls.append(("keep_latest", thread_id))


class Secret(Exception):
    pass


class RefusingGraph:
    """A graph whose state updates fail, with a message the client must not see."""

    async def aupdate_state(self, config: dict[str, Any], values: Any, as_node: str | None = None) -> dict[str, Any]:
        if values == {"secret": True}:
            raise Secret("the database password is hunter2")
        raise ValueError("no node named nowhere")


class OneGraph:
    def graph_ids(self) -> list[str]:
        return ["g"]

    def is_factory(self, graph_id: str) -> bool:
        return False

    @asynccontextmanager
    async def open(self, graph_id: str, config: dict[str, Any], **_: Any) -> AsyncIterator[RefusingGraph]:
        yield RefusingGraph()


class Reports:
    def __init__(self) -> None:
        self.ended: list[Any] = []

    def notify(self, ended: Any) -> None:
        self.ended.append(ended)


class Ownership:
    def __init__(self, ours: bool) -> None:
        self.ours, self.released = ours, False

    async def acquire(self, thread_id: str) -> bool:
        return self.ours

    async def release(self, thread_id: str) -> None:
        self.released = True


def thread(thread_id: str = "t", **changes: Any) -> Thread:
    return Thread(thread_id=thread_id, created_at=NOW, updated_at=NOW, state_updated_at=NOW, metadata={"graph_id": "g"}, **changes)


def run(run_id: str, status: RunStatus = "running") -> Run:
    return Run(
        run_id=run_id, thread_id="t", assistant_id="a", metadata={}, status=status, kwargs=RunKwargs(),
        multitask_strategy="enqueue", created_at=NOW, updated_at=NOW,
    )


def supervisor(*, threads: MemoryThreads | None = None, runs: MemoryRuns | None = None, **deps: Any) -> ThreadSupervisor:
    actor = ThreadSupervisor("t", thread_deps(threads=threads, runs=runs, **deps))
    actor.start()
    return actor


def thread_deps(*, threads: MemoryThreads | None = None, runs: MemoryRuns | None = None, **deps: Any) -> ThreadDeps:
    return ThreadDeps(
        threads=threads or MemoryThreads(thread()), runs=runs or MemoryRuns(),  # type: ignore[arg-type]
        checkpoints=deps.pop("checkpoints", RecordingCheckpoints()), graphs=OneGraph(),  # type: ignore[arg-type]
        streams=StreamRegistry(buffer=100, resumable_capacity=100, keep_finished=10),
        webhooks=deps.pop("webhooks", Reports()), slots=RunSlots(1), **deps,
    )


async def test_a_run_started_too_often_fails_at_recovery_and_is_reported() -> None:
    threads, reports = MemoryThreads(thread(status="busy")), Reports()
    runs = MemoryRuns((run("r", "running"), 3), threads=threads)
    actor = supervisor(threads=threads, runs=runs, webhooks=reports, max_attempts=3)
    assert await actor.ask(KeepLatest()) is True  # answered once recovery is done
    assert runs.finished == {"r": "error"}
    recovered = threads.rows["t"]
    assert recovered.status == "error" and recovered.error["error"] == "RunAttemptsExceeded"
    assert [(e.run.run_id, e.status) for e in reports.ended] == [("r", "error")]
    await actor.stop()


async def test_history_is_pruned_through_the_supervisor() -> None:
    checkpoints = RecordingCheckpoints()
    actor = supervisor(checkpoints=checkpoints)
    assert await actor.ask(KeepLatest()) is True
    assert checkpoints.calls == [("keep_latest", "t")]
    await actor.stop()
    gone = supervisor(threads=MemoryThreads(), checkpoints=checkpoints)
    assert await gone.ask(KeepLatest()) is False
    assert checkpoints.calls == [("keep_latest", "t")]
    await gone.stop()


async def test_a_graphs_error_reaches_the_client_masked_unless_safe() -> None:
    actor = supervisor()
    with pytest.raises(BadRequest) as refused:
        await actor.ask(UpdateState({"secret": True}, "nowhere"))
    assert refused.value.detail == MASKED_MESSAGE
    with pytest.raises(BadRequest, match="no node named nowhere"):
        await actor.ask(UpdateState({"log": ["x"]}, "nowhere"))
    await actor.stop()


async def test_a_thread_another_process_owns_is_not_touched() -> None:
    """The ownership seam: a supervisor that cannot take its thread fails to start, so it
    stops without recovering or running anything."""
    runs, ownership = MemoryRuns((run("r", "pending"), 0)), Ownership(ours=False)
    actor = supervisor(runs=runs, ownership=ownership)
    with pytest.raises(ActorStopped, match="failed to start"):
        await actor.ask(KeepLatest())
    assert actor.stopped and not actor.queue and runs.finished == {}


async def test_after_a_failed_start_the_next_request_gets_a_fresh_supervisor() -> None:
    ownership = Ownership(ours=False)
    registry = SupervisorRegistry(thread_deps(ownership=ownership))
    with pytest.raises(ActorStopped):
        await registry.get("t").ask(KeepLatest())
    ownership.ours = True  # e.g. the other process let go
    assert await registry.get("t").ask(KeepLatest()) is True
    await registry.stop()


class CountingThreads(MemoryThreads):
    def __init__(self, *threads: Thread) -> None:
        super().__init__(*threads)
        self.reads = 0
        self.failing = False  # updates fail (the database went away)

    async def get(self, thread_id: str) -> Thread | None:
        self.reads += 1
        return await super().get(thread_id)

    async def update(self, thread: Thread) -> None:
        if self.failing:
            raise OSError("the database went away")
        await super().update(thread)


@pytest.mark.parametrize("minted", [False, True])
async def test_the_supervisor_of_a_thread_minted_here_reads_nothing_to_start(minted: bool) -> None:
    """A stateless run's thread id was just minted: no record of it can exist yet."""
    threads = CountingThreads()
    actor = ThreadSupervisor("t", thread_deps(threads=threads), minted=minted)
    actor.start()
    await actor.started()
    assert not actor.stopped and threads.reads == (0 if minted else 1)
    await actor.stop()


async def test_a_busy_supervisor_keeps_what_it_read_and_wrote_of_its_thread_until_a_write_fails() -> None:
    """The thread's only writer while it holds it: what it read and wrote since serves it
    while it has runs (their ends write the thread), until a write fails; idle, it keeps
    nothing and reads again."""
    threads, runs = CountingThreads(thread(status="idle")), MemoryRuns()
    runs.threads = threads
    actor = ThreadSupervisor("t", thread_deps(threads=threads, runs=runs))
    actor.start()
    await actor.started()
    assert threads.reads == 1
    actor.queue.append(cast(Any, "a run waiting"))  # the supervisor is busy
    patched = await actor.ask(PatchThread({"k": "v"}, None))
    assert patched.metadata == {"graph_id": "g", "k": "v"} and threads.rows["t"] == patched
    again = await actor.ask(PatchThread({"k": "w"}, None))
    assert again.metadata == {"graph_id": "g", "k": "w"} and threads.reads == 1
    threads.failing = True
    with pytest.raises(OSError):
        await actor.ask(PatchThread({"k": "lost"}, None))
    threads.failing = False
    assert (await actor.ask(PatchThread({}, None))).metadata["k"] == "w" and threads.reads == 2
    actor.queue.clear()
    await actor.ask(PatchThread({}, None))  # handled with what was kept; idle after it
    assert threads.reads == 2
    await actor.ask(PatchThread({}, None))
    await actor.ask(PatchThread({}, None))
    assert threads.reads == 4  # idle, it keeps nothing
    await actor.stop()

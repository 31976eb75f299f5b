"""The event logs of live runs (and of finished resumable runs for a while after), and
of threads: a thread's log carries the events of every run on it plus thread-level
events (`state_update`, `run_done`), for `GET /threads/{id}/stream`.

With a `RunEventStore`, the logs of resumable runs are also persisted (`durable.py`), so
their streams can be resumed after a restart (`replay.py`); finished runs' persisted
logs are kept as long as `Retention` says."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from threadloom.protocol import clock
from threadloom.protocol.ownership import Janitor
from threadloom.protocol.storage import RunEventStore

from .durable import DurableRunStream, EventWriter
from .eventlog import RunStream
from .modes import replayable
from .ownership import alone
from .periodic import Periodic
from .replay import Replay, replay, replayed


@dataclass(frozen=True)
class Retention:
    """How long the persisted logs of finished runs keep their events."""

    seconds: float = 86_400.0  # after the run finished
    keep_runs: int = 10_000  # the most recently finished runs that keep theirs
    sweep_seconds: float = 60.0  # how often old logs are looked for


class StreamRegistry:
    def __init__(
        self, *, buffer: int, resumable_capacity: int, keep_finished: int, keep_threads: int = 1_000,
        store: RunEventStore | None = None, retention: Retention = Retention(), janitor: Janitor = alone,
    ) -> None:
        """`janitor`: whether this process sweeps the persisted logs (one of a cluster does)."""
        self._janitor = janitor
        self._buffer = buffer
        self._resumable_capacity = resumable_capacity
        self._keep_finished = keep_finished
        self._keep_threads = keep_threads
        self._live: dict[str, RunStream] = {}
        self._finished: OrderedDict[str, RunStream] = OrderedDict()
        self._threads: OrderedDict[str, RunStream] = OrderedDict()
        self._store = store
        self._retention = retention
        self._writer = None if store is None else EventWriter(store, keep=resumable_capacity)
        self._resume_after: dict[str, int] = {}  # run_id → last persisted seq, for runs to resume
        self._sweeper: Periodic | None = None

    async def start(self) -> None:
        """Before any run starts: learn where the logs of runs to resume go on, evict
        what retention no longer keeps, and keep doing so periodically."""
        if self._store is None:
            return
        self._resume_after = await self._store.unfinished_heads()
        await self._sweep_if_mine()
        self._sweeper = Periodic("stream retention", self._sweep_if_mine, self._retention.sweep_seconds, wait_first=True)
        self._sweeper.start()

    async def learn_heads(self) -> None:
        """Learn again where the persisted logs of unfinished runs go on: runs a thread's
        supervisor recovers after another process of a cluster ran them (`start` only
        saw the ones unfinished when this process started)."""
        if self._store is None:
            return
        for run_id, last in (await self._store.unfinished_heads()).items():
            if run_id not in self._live:
                self._resume_after[run_id] = last

    async def stop(self) -> None:
        """After the last run stopped: persist what is left."""
        if self._sweeper is not None:
            await self._sweeper.stop()
        if self._writer is not None:
            await self._writer.flush()

    async def sweep(self) -> int:
        """Evict the events of finished runs' logs that retention no longer keeps."""
        if self._store is None:
            return 0
        cutoff = clock.now() - timedelta(seconds=self._retention.seconds)
        return await self._store.sweep(finished_before=cutoff, keep_runs=self._retention.keep_runs)

    async def _sweep_if_mine(self) -> None:
        """Once across a cluster: only the process whose turn it is sweeps."""
        async with self._janitor("stream retention") as mine:
            if mine:
                await self.sweep()

    def thread(self, thread_id: str) -> RunStream:
        """The thread's log, made on first use; only the most recently used are kept."""
        log = self._threads.get(thread_id)
        if log is None:
            log = self._threads[thread_id] = RunStream(thread_id, capacity=self._buffer, resumable=True)
            while len(self._threads) > self._keep_threads:
                self._threads.popitem(last=False)[1].close()
        self._threads.move_to_end(thread_id)
        return log

    def thread_publish(self, thread_id: str, name: str, data: bytes) -> None:
        """Publish to the thread's log if anyone has opened it (nobody listens otherwise)."""
        log = self._threads.get(thread_id)
        if log is not None:
            log.publish(name, data)

    def close_threads(self) -> None:
        for log in self._threads.values():
            log.close()

    def close_all(self) -> None:
        """End every stream (at shutdown): live runs' and threads'."""
        for log in self._live.values():
            log.close()
        self.close_threads()

    def open(self, run_id: str, *, resumable: bool, modes: list[str] | None = None) -> RunStream:
        """The log of a run that streams `modes` (its requested stream modes: they say
        which events a resumable run's persisted log stores)."""
        stream: RunStream
        if not resumable:
            stream = RunStream(run_id, capacity=self._buffer)
        elif self._writer is None:
            stream = RunStream(run_id, capacity=self._resumable_capacity, resumable=True)
        else:
            first_seq = self._resume_after.pop(run_id, 0) + 1
            stream = DurableRunStream(
                run_id, capacity=self._resumable_capacity, writer=self._writer, first_seq=first_seq,
                replayable=replayable(modes or ["values"]),
            )
        self._live[run_id] = stream
        return stream

    async def replay(self, run_id: str, after: int, modes: list[str]) -> Replay:
        """A resumable run's events after seq `after`: from memory, else from storage
        then memory. Of those published before now, only the ones a replay sends for a
        run streaming `modes` (no `error`, `feedback`, legacy `messages/*`: §5.7)."""
        live = self.get(run_id)
        found = Replay(live, after, None) if self._store is None else await replay(self._store, run_id, live, after)
        return replayed(found, live, replayable(modes))

    def get(self, run_id: str) -> RunStream | None:
        return self._live.get(run_id) or self._finished.get(run_id)

    def finished(self, run_id: str) -> None:
        stream = self._live.pop(run_id, None)
        if stream is not None and stream.resumable:
            self._finished[run_id] = stream
            while len(self._finished) > self._keep_finished:
                self._finished.popitem(last=False)

    @property
    def live(self) -> int:
        return len(self._live)

    @property
    def subscribers(self) -> int:
        """Readers of event logs, live or kept for replay."""
        return sum(s.subscribers for s in (*self._live.values(), *self._finished.values()))

"""The persisted event logs of resumable runs, so a client can resume a run's stream
after the server restarted (or crashed).

Events are written behind, in batches: publishing appends to a buffer, and one write
(one transaction) takes everything buffered a few milliseconds later, or at once when
the buffer is full. A persisted log shows its subscribers only events already written
(write-ahead): every id a client has seen is at or below the log's stored head, so a run
resumed after a crash numbers its events on from there without reusing an id a client
holds, and a client that comes back with that id misses nothing and gets nothing twice.
The run flushes its log before its final status is persisted, so a finished run's stored
log is complete.

Only what a replay sends is stored (reference §5.7): events whose base name is one of the
run's stream modes or `metadata`. `error`, `feedback` and the legacy `messages/metadata|
partial|complete` events are numbered like the others and delivered live, in order, but
not written: the official server never replays them either, and the legacy partials
(each one the whole message so far) would be the bulk of the writes. The log's head in
storage (`run_logs.last_seq`) still advances past them in the same batch, so ids stay
unique and increasing across a crash: a resumed run numbers on after every id a client
may have seen, stored or not. Replay leaves the same events out of what the ring in
memory still holds (`replay.Replayed`), so a client gets the same events with the same
ids whether its replay comes from memory or from storage; the gaps in the ids are
harmless (clients only compare them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from threadloom.protocol.storage import RunEventStore

from .eventlog import Event, RunStream

log = logging.getLogger(__name__)


class DurableRunStream(RunStream):
    def __init__(
        self, run_id: str, *, capacity: int, writer: EventWriter, first_seq: int = 1,
        replayable: Callable[[str], bool] = lambda name: True,
    ) -> None:
        super().__init__(run_id, capacity=capacity, resumable=True, first_seq=first_seq)
        self._writer = writer
        self._stored = first_seq - 1
        self._replayable = replayable  # which events are worth storing (the others: live only)
        self._stores: dict[str, bool] = {}  # `replayable`, by event name (a run has a handful)

    @property
    def visible(self) -> int:
        return self._stored

    def publish(self, name: str, data: bytes) -> None:
        if not self._closed:
            store = self._stores.get(name)
            if store is None:
                store = self._stores[name] = self._replayable(name)
            self._writer.add(self, self._append(name, data), store=store)

    def stored(self, seq: int) -> None:
        """The writer wrote the events up to `seq` (or passed over those it does not
        store): subscribers may read them."""
        if seq > self._stored:
            self._stored = seq
            self._wake()

    async def flush(self) -> None:
        await self._writer.flush()


class EventWriter:
    """Writes the events of every persisted log, in one transaction per batch. Events not
    to be stored go through the queue all the same: they become visible in order, once
    what came before them is written, and the batch advances their log's head."""

    def __init__(self, store: RunEventStore, *, keep: int, delay: float = 0.005, batch: int = 1_000) -> None:
        self._store = store
        self._keep = keep  # events kept per run
        self._delay = delay
        self._batch = batch
        # what the next write takes: each log's last event (stored or not), and the events to store
        self._heads: dict[DurableRunStream, int] = {}
        self._pending: dict[DurableRunStream, list[Event]] = {}
        self._count = 0  # events in `_heads`' span, stored or not
        self._added = 0
        self._written = 0
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._progress: asyncio.Future[None] | None = None

    def add(self, stream: DurableRunStream, event: Event, *, store: bool = True) -> None:
        self._heads[stream] = event.seq
        if store:
            if (events := self._pending.get(stream)) is None:
                self._pending[stream] = [event]
            else:
                events.append(event)
        self._count += 1
        self._added += 1
        if self._task is not None:
            return  # the write in flight takes these next
        if self._count >= self._batch or event.seq == stream.first_seq:
            self._start()  # a full batch, or a log's first event: its reader is waiting for it
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay, self._start)

    async def flush(self) -> None:
        """Wait until every event added so far is written."""
        target = self._added
        while self._written < target:
            self._start()
            if self._progress is None:
                self._progress = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._progress)

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is None and self._heads:
            self._task = asyncio.get_running_loop().create_task(self._write_pending(), name="event writer")

    async def _write_pending(self) -> None:
        try:
            while self._heads:
                heads, pending, count = self._heads, self._pending, self._count
                self._heads, self._pending, self._count = {}, {}, 0
                await self._write(heads, pending, count)
        finally:
            self._task = None
            self._notify()

    async def _write(self, heads: dict[DurableRunStream, int], pending: dict[DurableRunStream, list[Event]], count: int) -> None:
        try:
            await self._store.append(
                {stream.run_id: [(e.seq, e.name, e.data) for e in events] for stream, events in pending.items()},
                heads={stream.run_id: seq for stream, seq in heads.items()}, keep=self._keep,
            )
        except Exception:
            # Delivered all the same (a stream must not stall on a failing disk), but
            # these events will not survive a restart.
            log.exception("could not persist %d stream events", count)
        finally:
            self._written += count
            for stream, seq in heads.items():
                stream.stored(seq)
            self._notify()

    def _notify(self) -> None:
        if self._progress is not None:
            if not self._progress.done():
                self._progress.set_result(None)
            self._progress = None

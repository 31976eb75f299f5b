"""A thread's v3 tape: the events of its v3 runs, from its first run on, in order, as
one connection's session numbers them (`protocol.v3.session`).

The runs come from storage (in creation order) and each run's events from its resumable
log (`StreamRegistry.replay`: memory, else storage, then live), so every connection
reads the same events in the same order — across restarts too, as long as retention
keeps the logs. The thread's live log only wakes the tape when a new run starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from threadloom.actors.eventlog import Overflow
from threadloom.actors.runtime import Runtime
from threadloom.actors.v3events import is_v3
from threadloom.protocol.resources import Run
from threadloom.protocol.serde import loads
from threadloom.protocol.storage import RunReads
from threadloom.protocol.v3.runs import V3_STREAM_MODES
from threadloom.protocol.v3.session import Envelope, Session

MAX_RUNS = 100_000


class TapeEnded(Exception):
    """The tape cannot go on (the thread's log was closed, or this reader fell behind a
    run's log): the connection ends, and its client resumes with `since`."""


class ThreadTape:
    def __init__(self, runtime: Runtime, records: RunReads, thread_id: str) -> None:
        self._runtime = runtime
        self._records = records  # the runs, read
        self.thread_id = thread_id
        self.session = Session()
        # set once the tape has sent what the thread already held (its ended runs), and
        # reads what comes live: a socket answers its first commands after that
        self.caught_up = asyncio.Event()

    async def _runs(self, done: set[str]) -> list[Run]:
        runs = await self._records.list(self.thread_id, limit=MAX_RUNS, offset=0, status=None)
        return [r for r in reversed(runs) if r.run_id not in done and is_v3(r.kwargs.config)]

    async def envelopes(self) -> AsyncIterator[list[Envelope]]:
        """Batches of numbered events, for ever (until `TapeEnded`)."""
        streams = self._runtime.streams
        thread_log = streams.thread(self.thread_id)  # first: a run starting from now on wakes us
        done: set[str] = set()
        while True:
            head = thread_log.head
            progressed = False
            for run in await self._runs(done):
                if run.status in ("pending", "running"):
                    self.caught_up.set()  # what follows is live
                    if self._runtime.streams.get(run.run_id) is None:
                        break  # its log is not open yet: it is, by the time it starts
                async for batch in self._run(run):
                    yield batch
                done.add(run.run_id)
                progressed = True
            if progressed:
                continue
            if thread_log.closed:
                raise TapeEnded("the thread's log was closed")
            self.caught_up.set()
            await _next_start(thread_log.subscribe(head))

    async def _run(self, run: Run) -> AsyncIterator[list[Envelope]]:
        graph = str(run.kwargs.config.get("configurable", {}).get("graph_id") or "")
        rs = self.session.run(run.run_id, graph)
        found = await self._runtime.streams.replay(run.run_id, 0, [*V3_STREAM_MODES, "metadata"])
        if found.source is not None:
            async for batch in found.source.subscribe(found.after):
                if isinstance(batch, Overflow):
                    raise TapeEnded(f"fell {batch.missed} events behind run {run.run_id}")
                out: list[Envelope] = []
                for event in batch:
                    out.extend(rs.event(f"{run.run_id}-{event.seq}", _decoded(event.data)))
                if out:
                    yield out
        record = await self._records.get(run.run_id)
        ended = rs.end(None if record is None else record.status)
        if ended:
            yield ended


def _decoded(data: bytes) -> Any:
    try:
        return loads(data)
    except Exception:
        return None


async def _next_start(subscription: AsyncIterator[Any]) -> None:
    """Wait until the thread's log shows a run starting (or ends, or overflows: the
    caller then looks at storage again either way)."""
    try:
        async for batch in subscription:
            if isinstance(batch, Overflow) or any(e.name == "metadata" and b'"attempt"' in e.data for e in batch):
                return
    finally:
        await subscription.aclose()  # type: ignore[attr-defined]

"""Resuming a run's stream from a client's `Last-Event-ID`: the events it missed come
from the run's log in memory when the log still holds them, else from storage (written
by this process or an earlier one), followed by the live log if the run is still going
here. Events storage no longer holds are announced, not silently skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

from protocol.ports import RunEventStore

from .eventlog import Event, EventSource, Overflow, RunStream

PAGE = 500  # events per storage read


class Evicted(NamedTuple):
    """Retention dropped events the client asked for: it gets those from `first_available`."""

    first_available: int
    requested_after: int


class Replay(NamedTuple):
    source: EventSource | None  # None: nothing to send
    after: int  # where to start reading `source`
    evicted: Evicted | None


class StoredThenLive:
    """A resumable run's events: those in storage, then those of its live log (if any)."""

    resumable = True

    def __init__(self, store: RunEventStore, run_id: str, live: RunStream | None) -> None:
        self._store = store
        self._run_id = run_id
        self._live = live

    async def subscribe(self, after: int | None = None) -> AsyncIterator[list[Event] | Overflow]:
        cursor = after or 0
        live = self._live
        while live is None or not live.covers(cursor):
            if live is not None:
                await live.flush()  # what the ring dropped is in storage, then
            rows = await self._store.read(self._run_id, after=cursor, limit=PAGE)
            if not rows:
                break
            cursor = rows[-1][0]
            yield [Event(*row) for row in rows]
        if live is not None:
            async for batch in live.subscribe(cursor):
                yield batch


async def replay(store: RunEventStore, run_id: str, live: RunStream | None, after: int) -> Replay:
    """The events of run `run_id` after seq `after`; `live` is its log in memory, if any."""
    if live is not None and live.covers(after):
        return Replay(live, after, None)
    bounds = await store.bounds(run_id)
    firsts = ([bounds[0]] if bounds is not None else []) + ([live.oldest] if live is not None else [])
    if not firsts:
        return Replay(None, after, None)  # the run never had a log (or it is gone with the run)
    first = min(firsts)
    evicted = None
    if after < first - 1:
        evicted, after = Evicted(first, after), first - 1
    return Replay(StoredThenLive(store, run_id, live), after, evicted)

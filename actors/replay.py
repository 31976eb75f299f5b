"""Resuming a run's stream from a client's `Last-Event-ID`: the events it missed come
from the run's log in memory when the log still holds them, else from storage (written
by this process or an earlier one), followed by the live log if the run is still going
here. Events storage no longer holds are announced, not silently skipped.

As on the official server (reference §5.7), a replay sends only the events whose base
name is one of the run's stream modes or `metadata` (`modes.replayable`): never `error`,
`feedback` or the legacy `messages/*` events. Storage does not hold those (`durable.py`);
the ring in memory does (live subscribers and `/join` need them), so they are left out
here. Only the past is filtered: what the run publishes after the join is live and comes
whole, `error` included, as it does to a join without `Last-Event-ID`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import NamedTuple

from threadloom.protocol.storage import RunEventStore

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


class Replayed:
    """A replay's source without the events a replay leaves out (`keep` says which stay)
    among those published up to seq `past` (None: all of them, the run is not live here);
    later ones are live and all pass. Their ids stay: the gaps are harmless."""

    resumable = True

    def __init__(self, source: EventSource, keep: Callable[[str], bool], past: int | None) -> None:
        self._source = source
        self._keep = keep
        self._past = past

    async def subscribe(self, after: int | None = None) -> AsyncIterator[list[Event] | Overflow]:
        past, keep = self._past, self._keep
        async for batch in self._source.subscribe(after):
            if isinstance(batch, Overflow):
                yield batch
                continue
            kept = [e for e in batch if (past is not None and e.seq > past) or keep(e.name)]
            if kept:
                yield kept


def replayed(replay: Replay, live: RunStream | None, keep: Callable[[str], bool]) -> Replay:
    """`replay` with its past filtered by `keep` (see `Replayed`): the past is what `live`
    has published so far, or everything when the run has no log in memory."""
    if replay.source is None:
        return replay
    past = None if live is None or live.closed else live.head
    return replay._replace(source=Replayed(replay.source, keep, past))


async def replay(store: RunEventStore, run_id: str, live: RunStream | None, after: int) -> Replay:
    """The events of run `run_id` after seq `after`; `live` is its log in memory, if any.
    (Unfiltered: see `replayed`.)"""
    if live is not None and live.covers(after):
        return Replay(live, after, None)
    bounds = await store.bounds(run_id)
    firsts = ([bounds[0]] if bounds is not None else []) + ([live.oldest] if live is not None else [])
    if not firsts:
        return Replay(None, after, None)  # the run never had a log (or it is gone with the run)
    # (Storage's first is its oldest stored event: when retention cut the log just before
    # some live-only events, which were never stored, those count as evicted too. Harmless:
    # the announcement then only names events a replay would have left out anyway.)
    first = min(firsts)
    evicted = None
    if after < first - 1:
        evicted, after = Evicted(first, after), first - 1
    return Replay(StoredThenLive(store, run_id, live), after, evicted)

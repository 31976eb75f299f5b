"""A run's event log, fanned out to any number of subscribers.

The log is a bounded ring of encoded events. Each subscriber is a cursor into it: its
queue is the stretch between its cursor and the head, so it is bounded by the ring's
capacity and costs nothing to fill. Publishing never waits for anyone. A subscriber that
falls so far behind that the ring dropped events it had not read gets an `Overflow`
marker (with how many it missed) instead of silently skipping them; the HTTP layer turns
that into an `error` event and ends the stream.

A log may start after sequence number 1 (`first_seq`): a run resumed after a restart
continues the numbering of the events an earlier process persisted. Those earlier events
were never in this ring; a subscriber asking for them gets this ring's events from its
start (the join route reads the earlier ones from storage first).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol

import msgspec

from threadloom.protocol import sse


class Event(msgspec.Struct, frozen=True, gc=False):
    """Untracked by the cyclic collector (it holds no container): a run's ring holds
    thousands, which the collector would otherwise walk again and again."""

    seq: int
    name: str
    data: bytes
    # its SSE frame (with its id if `framed_with_id`), made once when it was published
    # to a log several were reading, for all of them (None: each reader frames it)
    frame: bytes | None = None
    framed_with_id: bool = False


class Overflow(NamedTuple):
    missed: int


class EventSource(Protocol):
    """What an SSE response reads: a run's log, or a replay of it."""

    @property
    def resumable(self) -> bool: ...

    def subscribe(self, after: int | None = None) -> AsyncIterator[list[Event] | Overflow]:
        """Batches of events after sequence number `after` (None: from now on)."""
        ...


class RunStream:
    def __init__(self, run_id: str, *, capacity: int, resumable: bool = False, first_seq: int = 1) -> None:
        self.run_id = run_id
        self.resumable = resumable
        self.capacity = capacity
        self.first_seq = first_seq
        self._events: list[Event] = []
        self._next_seq = first_seq
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None
        self.subscribers = 0  # readers iterating `subscribe` right now

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def head(self) -> int:
        """The sequence number of the last event published (first_seq - 1 before any)."""
        return self._next_seq - 1

    @property
    def visible(self) -> int:
        """The sequence number of the last event subscribers may read."""
        return self.head

    def publish(self, name: str, data: bytes) -> None:
        if not self._closed:
            self._append(name, data)
            self._wake()

    def _append(self, name: str, data: bytes) -> Event:
        seq = self._next_seq
        if self.subscribers > 1:  # shared: framed once here rather than by each of them
            event = Event(seq, name, data, sse.frame(name, data, str(seq) if self.resumable else None), self.resumable)
        else:
            event = Event(seq, name, data)
        self._events.append(event)
        self._next_seq += 1
        if len(self._events) >= self.capacity + (self.capacity >> 1) + 1:
            del self._events[: len(self._events) - self.capacity]
        return event

    def close(self) -> None:
        self._closed = True
        self._wake()

    async def flush(self) -> None:
        """Wait until every event published so far is durable (nothing to do here: this
        log lives in memory only)."""

    def _wake(self) -> None:
        if self._waiter is not None:
            if not self._waiter.done():
                self._waiter.set_result(None)
            self._waiter = None

    @property
    def oldest(self) -> int:
        """The sequence number of the oldest event in the ring (head + 1 when empty)."""
        return self._events[0].seq if self._events else self._next_seq

    def covers(self, cursor: int) -> bool:
        """Whether every event after `cursor` is in this ring or still to come: none was
        dropped, none was published by an earlier process."""
        return cursor + 1 >= self.oldest

    def _since(self, cursor: int) -> list[Event] | Overflow:
        """Events after sequence number `cursor`, or how many of them the ring dropped."""
        cursor = max(cursor, self.first_seq - 1)
        first = self.oldest
        if cursor + 1 < first:
            return Overflow(first - cursor - 1)
        return self._events[cursor + 1 - first : self.visible + 1 - first]

    @property
    def _drained(self) -> bool:
        return self._closed and self.visible == self.head

    async def subscribe(self, after: int | None = None) -> AsyncIterator[list[Event] | Overflow]:
        """Batches of events after sequence number `after` (None: from now on) until the
        log closes."""
        cursor = self.head if after is None else max(after, 0)
        self.subscribers += 1
        try:
            while True:
                batch = self._since(cursor)
                if isinstance(batch, Overflow):
                    yield batch
                    return
                if batch:
                    cursor = batch[-1].seq
                    yield batch
                    continue
                if self._drained:
                    return
                if self._waiter is None:
                    self._waiter = asyncio.get_running_loop().create_future()
                await asyncio.shield(self._waiter)
        finally:
            self.subscribers -= 1

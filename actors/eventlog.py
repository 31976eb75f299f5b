"""A run's event log, fanned out to any number of subscribers.

The log is a bounded ring of encoded events. Each subscriber is a cursor into it: its
queue is the stretch between its cursor and the head, so it is bounded by the ring's
capacity and costs nothing to fill. Publishing never waits for anyone. A subscriber that
falls so far behind that the ring dropped events it had not read gets an `Overflow`
marker (with how many it missed) instead of silently skipping them; the HTTP layer turns
that into an `error` event and ends the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import NamedTuple


class Event(NamedTuple):
    seq: int
    name: str
    data: bytes


class Overflow(NamedTuple):
    missed: int


class RunStream:
    def __init__(self, run_id: str, *, capacity: int, resumable: bool = False) -> None:
        self.run_id = run_id
        self.resumable = resumable
        self.capacity = capacity
        self._events: list[Event] = []
        self._next_seq = 1
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None
        self.subscribers = 0  # readers iterating `subscribe` right now

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def head(self) -> int:
        """The sequence number of the last event published (0 before any)."""
        return self._next_seq - 1

    def publish(self, name: str, data: bytes) -> None:
        if self._closed:
            return
        self._events.append(Event(self._next_seq, name, data))
        self._next_seq += 1
        if len(self._events) >= self.capacity + (self.capacity >> 1) + 1:
            del self._events[: len(self._events) - self.capacity]
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None:
            if not self._waiter.done():
                self._waiter.set_result(None)
            self._waiter = None

    def _since(self, cursor: int) -> list[Event] | Overflow:
        """Events after sequence number `cursor`, or how many of them the ring dropped."""
        first = self._events[0].seq if self._events else self._next_seq
        if cursor + 1 < first:
            return Overflow(first - cursor - 1)
        return self._events[cursor + 1 - first :]

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
                if self._closed:
                    return
                if self._waiter is None:
                    self._waiter = asyncio.get_running_loop().create_future()
                await asyncio.shield(self._waiter)
        finally:
            self.subscribers -= 1

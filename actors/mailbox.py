"""An actor's mailbox: an unbounded first-in first-out queue with one reader.

What `asyncio.Queue` does for an actor, in a fraction of its memory: a queue keeps four
deques (its items, its getters, its putters, its `join` event's waiters), and a deque
allocates a block of 64 slots at once (~600 bytes). Every thread's supervisor keeps its
mailbox while the thread is idle in memory: this one holds no deque while it is empty."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    __slots__ = ("_items", "_reader")

    def __init__(self) -> None:
        self._items: deque[T] | None = None  # None while empty
        self._reader: asyncio.Future[None] | None = None  # the reader waiting for an item

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        if self._reader is not None and not self._reader.done():
            self._reader.set_result(None)

    async def get(self) -> T:
        """The oldest item, once there is one. One reader at a time."""
        while self._items is None:
            assert self._reader is None, "a mailbox has one reader"
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        return self.get_nowait()

    def get_nowait(self) -> T:
        """The oldest item; `IndexError` if there is none."""
        if self._items is None:
            raise IndexError("the mailbox is empty")
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def empty(self) -> bool:
        return self._items is None

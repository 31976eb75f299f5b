"""Fencing of a thread's writes by the epoch of its lease (`leases.py`).

A thread's supervisor, once it holds the thread's lease, sets `FENCE` in its own task's
context and keeps it in force for each message it handles and each run it starts, on top
of their own contexts (`Actor.keep_own_context`). Every write the records make in that
context also takes the lease row `FOR SHARE` and checks that this process holds it at
that epoch (`threadloom_fence`, `schema.py`), in the same transaction, just before it
commits: a process that lost the thread (paused past its lease, then taken over, which
bumps the epoch) gets `FencedOut` and writes nothing, and a takeover waits for a write
already past the check to commit. LangGraph's saver writes checkpoints on connections of
its own, out of reach of that check; they are fenced by this process's lease as its own
monotonic clock sees it (`LocalLease`): it ends before the database's `expires_at`, and a
takeover waits `grace` past that, so a checkpoint write that passed the check lands
before any takeover unless the process paused longer than `grace` between the check and
the write. A context variable rather than a parameter on every store method: the storage
port stays the same for SQLite, where one process owns every thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import psycopg


class LocalLease:
    """This process's lease on its own monotonic clock (which runs on while the process
    is stopped): valid until a margin before the database's `expires_at`."""

    def __init__(self) -> None:
        self.valid_until = 0.0

    def renewed(self, sent_at: float, ttl_seconds: float) -> None:
        """A renewal sent at `sent_at` (monotonic, before the statement) succeeded: the
        database set `expires_at` to its `now() + ttl` at some later moment."""
        self.valid_until = sent_at + ttl_seconds - min(0.5, ttl_seconds / 4)

    def valid(self) -> bool:
        return time.monotonic() < self.valid_until


@dataclass(frozen=True)
class Fence:
    thread_id: str
    process_id: str  # the holder: an epoch alone may come back once a gone thread's lease is dropped
    epoch: int
    lease: LocalLease


FENCE: ContextVar[Fence | None] = ContextVar("threadloom_fence", default=None)


class FencedOut(Exception):
    """This process no longer holds the thread: another took it over."""


# what `threadloom_fence()` raises when the lease moved on
SQLSTATE = "TL409"


def statement(fence: Fence) -> tuple[str, tuple[Any, ...]]:
    """The check, as a statement of the transaction it fences."""
    return "SELECT threadloom_fence(%s, %s, %s)", (fence.thread_id, fence.process_id, fence.epoch)


@contextmanager
def refusals(fence: Fence | None) -> Iterator[None]:
    """The check's refusal, raised by a statement in the block, as `FencedOut`."""
    try:
        yield
    except psycopg.Error as exc:
        if fence is None or exc.sqlstate != SQLSTATE:
            raise
        raise FencedOut(f"thread {fence.thread_id}: lease epoch {fence.epoch} was taken over by another process") from None


async def check(conn: psycopg.AsyncConnection[Any]) -> None:
    """In the current transaction on `conn`: raise `FencedOut` unless the context's
    fence (if any) still holds, and keep it held until the transaction ends."""
    fence = FENCE.get()
    if fence is None:
        return
    with refusals(fence):
        await conn.execute(*statement(fence))


async def wait_local(seconds: float = 60.0) -> None:
    """Before a checkpoint write (which cannot take the lease row in its transaction): if
    the context's fence is set and this process's lease may have lapsed (the database was
    out of reach, the process paused), wait for the heartbeat to renew it; a process whose
    threads were taken over meanwhile stops instead. `FencedOut` after `seconds`."""
    fence = FENCE.get()
    if fence is None or fence.lease.valid():
        return
    deadline = time.monotonic() + seconds
    while not fence.lease.valid():
        if time.monotonic() > deadline:
            raise FencedOut(f"thread {fence.thread_id}: this process's lease lapsed; not writing")
        await asyncio.sleep(0.05)

"""The records connection to the SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from threadloom.protocol.errors import StorageBusy
from threadloom.protocol.serde import dumps

from .schema import migrate
from .worker import Worker

T = TypeVar("T")
BUSY_LIMIT_SECONDS = 30.0  # how long a write waits for another writer before it gives up


def to_json(value: Any) -> str:
    return dumps(value).decode()


def utc_text(moment: datetime) -> str:
    """A time as stored: ISO in UTC (`actors/newcron.py::utc_iso`), so that comparing and
    sorting stored times as text is chronological."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive datetime cannot be stored: {moment!r}")
    return moment.astimezone(UTC).isoformat()


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class Database:
    """The records connection. Writes never wait for a lock on the event loop: a busy
    database (LangGraph's store holds transactions across awaits on its own connection)
    is retried after a short asynchronous sleep, so the holder can finish meanwhile, for
    `busy_limit` seconds at most. One write transaction at a time: a unit of work
    (`atomic`) holds it across awaits, and other tasks' writes wait for it (their reads,
    on this one connection, see its writes before it commits: keep units short)."""

    def __init__(self, path: str, *, busy_limit: float = BUSY_LIMIT_SECONDS) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
            self.conn.execute(f"PRAGMA {pragma}")
        migrate(self.conn)
        # searches and counts read on their own connection, on their own thread: a page
        # of a search may take milliseconds, which the event loop must not wait for
        self.reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.reader.execute("PRAGMA query_only=ON")
        self._reading = Worker("threadloom-reads")
        self._busy_limit = busy_limit
        self._writing = asyncio.Lock()
        self._unit: asyncio.Task[Any] | None = None  # the task whose unit of work is open

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` (which reads, and decodes what it read) on the reading connection,
        off the event loop. It sees what is committed: not the writes of a unit of work
        still open."""
        return await self._reading.call(work, self.reader)

    def close(self) -> None:
        self._reading.shutdown()
        self.reader.close()
        self.conn.close()

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one write transaction (the open unit of work's, if this task has
        one), retrying while another connection writes."""
        if self._unit is not None and self._unit is asyncio.current_task():
            return work(self.conn)
        async with self._transaction():
            return work(self.conn)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """`protocol.storage.UnitOfWork.atomic`: this task's writes in the block commit
        together (a nested block joins the outer one)."""
        task = asyncio.current_task()
        if self._unit is not None and self._unit is task:
            yield
            return
        async with self._transaction():
            self._unit = task
            try:
                yield
            finally:
                self._unit = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._writing:
            await self._begin()
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    async def _begin(self) -> None:
        delay, deadline = 0.0005, time.monotonic() + self._busy_limit
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StorageBusy(
                        f"the database {self.path} stayed locked by another writer for {self._busy_limit:g} s; "
                        "the write was given up"
                    ) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

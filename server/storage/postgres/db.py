"""The connection pool of the records, and what turns a database that cannot be reached
into `StorageUnavailable` (a 503 with Retry-After) rather than a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout, TooManyRequests

from threadloom.protocol.serde import dumps

from ..unavailable import StorageUnavailable
from . import fence

# How often a statement is tried when its connection broke under it (a restarted server,
# a terminated backend): before the next try the pool checks its idle connections and
# replaces the dead ones, so one more try finds a fresh one, or waits for the pool to
# reconnect (`timeout`). Checking on failure rather than at every checkout saves a round
# trip per statement.
ATTEMPTS = 3

# a statement (`%s` placeholders) and its parameters
Statement = tuple[str, Sequence[Any]]


def to_json(value: Any) -> str:
    return dumps(value).decode()


def utc_text(moment: datetime) -> str:
    """A time as stored: ISO in UTC (`actors/newcron.py::utc_iso`), as on SQLite, so that
    comparing and sorting stored times as text is chronological."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive datetime cannot be stored: {moment!r}")
    return moment.astimezone(UTC).isoformat()


def _transient(exc: BaseException) -> bool:
    """A failure of the connection, not of the statement: worth one more try."""
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)) and not isinstance(
        exc, psycopg.errors.QueryCanceled
    )


class Database:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        # held by a unit of work: this process's other writes wait for it, as on SQLite
        # (the port's contract), rather than interleave with it
        self._gate = asyncio.Lock()
        # the connection of the unit of work (`atomic`) the current task is in, if any
        self._unit: ContextVar[tuple[asyncio.Task[Any] | None, psycopg.AsyncConnection[Any]] | None] = ContextVar(
            "threadloom_pg_unit", default=None
        )

    def _in_unit(self) -> psycopg.AsyncConnection[Any] | None:
        unit = self._unit.get()
        # a task started inside the block inherits the variable, not the unit
        return unit[1] if unit is not None and unit[0] is asyncio.current_task() else None

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """The current task's writes (and reads) in the block share one transaction: they
        commit together at its end, or roll back together if it raises. Nested blocks
        join the outer one."""
        if self._in_unit() is not None:
            yield
            return
        async with self._gate, self.transaction() as conn:
            token = self._unit.set((asyncio.current_task(), conn))
            try:
                yield
                await fence.check(conn)  # last: the work may set the transaction up first
            finally:
                self._unit.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection in one transaction (a savepoint of the unit of work the task is
        in). A broken connection or a pool that cannot give one in time raises
        `StorageUnavailable`."""
        if (unit := self._in_unit()) is not None:
            async with unit.transaction():
                yield unit
            return
        async with self._connection() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection of the pool (autocommit), errors as `transaction`'s."""
        try:
            async with self.pool.connection() as conn:
                yield conn
        except (PoolTimeout, TooManyRequests) as exc:
            raise StorageUnavailable(f"no database connection free or reachable: {exc}") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if not _transient(exc):
                raise
            raise StorageUnavailable(f"the database connection failed: {exc}") from exc

    async def retrying(self, work: Any, *, write: bool = True, fenced: bool = True, one_statement: bool = False) -> Any:
        """`await work(conn)` in one transaction, tried again when the connection broke
        (each statement here is safe to repeat: the transaction rolled back). A write
        waits for another task's unit of work to end, and is fenced (`fence.py`) unless
        `fenced` is False (the event logs, written by a task shared by every thread).
        Work of `one_statement` with no fence to check (a read, an unfenced write, a write
        outside any lease: one process alone on the database) runs in that statement's
        own transaction (autocommit): no BEGIN and COMMIT, two round trips fewer."""
        check = write and fenced and fence.FENCE.get() is not None
        if self._in_unit() is not None:  # a retry would repeat part of the unit only
            async with self.transaction() as conn:
                return await work(conn)  # the unit's transaction was checked when it began
        if write and self._gate.locked():
            async with self._gate:
                pass
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._connection() if one_statement and not check else self.transaction() as conn:
                    result = await work(conn)
                    if check:  # after the work, which may set the transaction up first; before the commit
                        await fence.check(conn)
                    return result
            except StorageUnavailable as exc:
                # no connection within the pool's timeout, or the queue for one full: say so now
                if attempt == ATTEMPTS or isinstance(exc.__cause__, (PoolTimeout, TooManyRequests)):
                    raise
                # the server went away and came back (or a backend was terminated): the
                # other idle connections are dead too; replace them before the next try
                await self.pool.check()
        raise AssertionError("unreachable")

    async def fetchall(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        async def work(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cur = await conn.execute(sql, args)
            return await cur.fetchall()

        return await self.retrying(work, write=False, one_statement=True)

    async def fetchone(self, sql: str, args: Any = ()) -> tuple[Any, ...] | None:
        rows = await self.fetchall(sql, args)
        return rows[0] if rows else None

    async def rowcount(self, sql: str, args: Sequence[Any] = (), *, coordination: bool = False) -> int:
        """`coordination`: a statement about the cluster itself (`leases.py`: a lease
        renewal, a release), not about a thread's records: it neither waits for this
        process's unit of work (a long one would starve the heartbeat, and a unit waiting
        for a renewed lease would wait forever) nor is fenced."""
        return (await self.write((sql, args), coordination=coordination))[0]

    async def write(self, *statements: Statement, coordination: bool = False) -> list[int]:
        """The statements (`%s` placeholders) in one transaction: each one's row count.
        One round trip whatever their number: several, or one with the fence to check
        after it (`fence.py`), go as one query of several statements (PostgreSQL runs
        those as one transaction, all or nothing) whose parameters psycopg binds in this
        process, with the check last. One statement with no fence to check, or statements
        of a unit of work, as `retrying` runs them. `coordination` as `rowcount`'s."""
        held = None if coordination else fence.FENCE.get()
        if (len(statements) == 1 and held is None) or self._in_unit() is not None:

            async def each(conn: psycopg.AsyncConnection[Any]) -> list[int]:
                return [(await conn.execute(sql, args)).rowcount for sql, args in statements]

            return await self.retrying(each, write=not coordination, one_statement=len(statements) == 1)
        script = [*statements, fence.statement(held)] if held is not None else list(statements)

        async def at_once(conn: psycopg.AsyncConnection[Any]) -> list[int]:
            cur = psycopg.AsyncClientCursor(conn)
            await cur.execute("; ".join(sql for sql, _ in script), [arg for _, args in script for arg in args])
            counts = [cur.rowcount]
            while cur.nextset():
                counts.append(cur.rowcount)
            return counts[: len(statements)]

        with fence.refusals(held):
            return await self.retrying(at_once, write=not coordination, fenced=False, one_statement=True)

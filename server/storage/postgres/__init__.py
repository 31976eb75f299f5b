"""PostgreSQL storage: threadloom's records, LangGraph's checkpoints (`AsyncPostgresSaver`)
and store (`AsyncPostgresStore`, semantic search through pgvector) in one database.

Two connection pools: one for the records (tuple rows), one for LangGraph's saver and
store (the dict rows and autocommit they expect). A statement whose connection broke (a
restarted server) is tried again once the pool has replaced its dead connections; a request that
finds no connection within `POOL_TIMEOUT` (the server down, or every connection busy and
`MAX_WAITING` requests already queued) gets `StorageUnavailable`, a 503 with Retry-After.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
from langgraph.checkpoint.serde.base import SerializerProtocol
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from threadloom.actors.periodic import Periodic

from .assistants import PostgresAssistants
from .checkpoints import PostgresCheckpoints
from .crons import PostgresCrons
from .db import Database
from .events import PostgresRunEvents
from .leases import PostgresOwnership
from .records import PostgresRuns, PostgresThreads
from .saver import PostgresCheckpointer
from .schema import SchemaTooNew, analyze_stale, migrate
from .store import NEWEST_FIRST, open_store

POOL_SIZE = 10  # connections per pool, at most
MAX_WAITING = 10_000  # requests queued for a connection before the next is refused at once (a burst of
# a thousand streams queues, each for at most POOL_TIMEOUT)
POOL_TIMEOUT = 5.0  # seconds a request waits for a connection
CONNECT_TIMEOUT = 5  # seconds to reach the server


class CannotConnect(Exception):
    """The database cannot be reached or set up at start-up (the message says why)."""


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def _redacted(url: str) -> str:
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL database"
    return f"postgresql://{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class PostgresStorage:
    """Opened with `await PostgresStorage.open(url)`."""

    def __init__(
        self, records: AsyncConnectionPool[Any], graph_pool: AsyncConnectionPool[Any], saver: PostgresCheckpointer,
        store: Any,
    ) -> None:
        self._records = records
        self._graph_pool = graph_pool
        db = self._db = Database(records)
        self.saver = saver
        self.store = store
        self.threads = PostgresThreads(db)
        self.runs = PostgresRuns(db)
        self.assistants = PostgresAssistants(db)
        self.crons = PostgresCrons(db)
        self.events = PostgresRunEvents(db)
        self.checkpoints = PostgresCheckpoints(db, saver)
        self._cluster = PostgresOwnership(db)
        self._store_sweeper: Periodic | None = None

    @classmethod
    async def open(
        cls, url: str, *, store_index: dict[str, Any] | None = None, store_ttl: dict[str, Any] | None = None,
        pool_size: int = POOL_SIZE, max_waiting: int = MAX_WAITING, pool_timeout: float = POOL_TIMEOUT,
        serde: SerializerProtocol | None = None,
    ) -> PostgresStorage:
        """`serde`: what the saver serializes checkpoints with (None: LangGraph's default;
        the encryption's, to encrypt them). Migrates the schema (and LangGraph's) first. Raises `CannotConnect` naming the
        server (without its password) when it cannot be reached, or the schema is newer
        than this code knows."""
        where = _redacted(url)
        try:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            raise CannotConnect(f"cannot connect to {where}: {_first_line(exc)}") from None
        pools: list[AsyncConnectionPool[Any]] = []
        try:
            common = dict(
                min_size=1, max_size=pool_size, max_waiting=max_waiting, timeout=pool_timeout,
                reconnect_timeout=float("inf"),
            )
            records: AsyncConnectionPool[Any] = AsyncConnectionPool(
                url, kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT}, open=False,
                name="threadloom-records", **common,  # type: ignore[arg-type]
            )
            pools.append(records)
            graph_pool: AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
                url, kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                             "connect_timeout": CONNECT_TIMEOUT},
                open=False, name="threadloom-graphs", **common,  # type: ignore[arg-type]
            )
            pools.append(graph_pool)
            await records.open(wait=True, timeout=pool_timeout)
            await graph_pool.open(wait=True, timeout=pool_timeout)
            saver = PostgresCheckpointer(graph_pool, serde=serde)
            store = await open_store(graph_pool, conn, index=store_index, ttl=store_ttl)

            async def langgraph_setup() -> None:
                await saver.setup()
                await store.setup()
                await conn.execute(NEWEST_FIRST)

            await migrate(conn, then=langgraph_setup)
            await analyze_stale(conn)
        except SchemaTooNew as exc:
            await _close(pools)
            raise CannotConnect(f"{where}: {exc}") from None
        except psycopg.Error as exc:
            await _close(pools)
            raise CannotConnect(f"cannot set up {where}: {_first_line(exc)}") from None
        except BaseException:
            await _close(pools)
            raise
        finally:
            await conn.close()
        storage = cls(records, graph_pool, saver, store)
        if store_ttl and (minutes := store_ttl.get("sweep_interval_minutes")):
            # LangGraph's own sweeper would run in every process: this one runs in one
            storage._store_sweeper = Periodic("store-ttl", storage._sweep_store, float(minutes) * 60)
            storage._store_sweeper.start()
        return storage

    async def _sweep_store(self) -> None:
        async with self._cluster.janitor("store ttl") as mine:
            if mine:
                await self.store.sweep_ttl()

    def cluster(self) -> PostgresOwnership:
        """This process's membership of the processes sharing the database (`leases.py`)."""
        return self._cluster

    def atomic(self) -> AbstractAsyncContextManager[None]:
        """A unit of work: the current task's record writes in the block commit together."""
        return self._db.atomic()

    async def close(self) -> None:
        try:
            if self._store_sweeper is not None:
                await self._store_sweeper.stop()
        finally:
            await _close([self._graph_pool, self._records])


async def _close(pools: list[AsyncConnectionPool]) -> None:
    for pool in pools:
        try:
            await pool.close()
        except Exception:  # every pool is closed even when one fails
            pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

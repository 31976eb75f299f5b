"""LangGraph's Postgres store as `langgraph.json`'s `store` section configures it:
semantic search through pgvector (`index`), expiry of items (`ttl`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from langgraph.store.base import Op, Result
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg_pool import AsyncConnectionPool

from ..unavailable import StorageUnavailable


# LangGraph's store has no index on `updated_at`: a filtered search (newest first) read and
# sorted every item of the namespace; with it, PostgreSQL walks the items newest first and
# stops after the page when the filter matches many of them (issue 17)
NEWEST_FIRST = "CREATE INDEX CONCURRENTLY IF NOT EXISTS threadloom_store_updated_at ON store (updated_at)"


class MissingExtension(Exception):
    pass


class PostgresStore(AsyncPostgresStore):
    """A connection that failed (the server restarting, the pool exhausted) is a 503, not a 500."""

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        try:
            return await super().abatch(ops)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise
            raise StorageUnavailable(f"the database connection failed: {exc}") from exc


async def open_store(
    pool: AsyncConnectionPool[Any], conn: psycopg.AsyncConnection[Any], *, index: dict[str, Any] | None,
    ttl: dict[str, Any] | None,
) -> AsyncPostgresStore:
    """The store (its `setup` is the caller's, under the migration lock). With `index`,
    the server must offer the `vector` extension (pgvector)."""
    if index is not None:
        cur = await conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if await cur.fetchone() is None:
            raise MissingExtension(
                "store.index (semantic search) needs the PostgreSQL extension `vector` (pgvector), which this "
                "database server does not have: install pgvector on it (e.g. the pgvector/pgvector image), "
                "or remove store.index from langgraph.json"
            )
        index = {k: v for k, v in index.items() if k != "text_fields"}  # a key of the SQLite store only
    return PostgresStore(pool, index=index, ttl=ttl)  # type: ignore[arg-type]

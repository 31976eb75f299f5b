"""LangGraph's Postgres store as `langgraph.json`'s `store` section configures it:
semantic search through pgvector (`index`), expiry of items (`ttl`)."""

from __future__ import annotations

from typing import Any

import psycopg
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg_pool import AsyncConnectionPool


class MissingExtension(Exception):
    pass


async def open_store(
    pool: AsyncConnectionPool, conn: psycopg.AsyncConnection[Any], *, index: dict[str, Any] | None,
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
    return AsyncPostgresStore(pool, index=index, ttl=ttl)  # type: ignore[arg-type]

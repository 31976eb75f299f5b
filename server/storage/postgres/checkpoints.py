"""Writes to LangGraph's checkpoint tables (`checkpoints`, `checkpoint_blobs`,
`checkpoint_writes`, as `langgraph-checkpoint-postgres` documents them) beside the
saver's own, each in one transaction."""

from __future__ import annotations

from typing import Any

import psycopg

from .db import Database
from .saver import PostgresCheckpointer, retry_broken

Conn = psycopg.AsyncConnection[Any]
_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
_PRUNE_ATTEMPTS = 5


class PostgresCheckpoints:
    def __init__(self, db: Database, saver: PostgresCheckpointer) -> None:
        self._db = db
        self._saver = saver

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        async def work(conn: Conn) -> None:
            await conn.execute(
                "DELETE FROM checkpoint_writes w USING checkpoints c "
                "WHERE c.thread_id = %(t)s AND c.metadata ->> 'run_id' = %(r)s AND w.thread_id = %(t)s "
                "AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id",
                {"t": thread_id, "r": run_id},
            )
            await conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = %s AND metadata ->> 'run_id' = %s", (thread_id, run_id)
            )

        await self._db.retrying(work)

    async def delete_thread(self, thread_id: str) -> None:
        await retry_broken(lambda: self._saver.adelete_thread(thread_id), seconds=5)

    async def copy_thread(self, source_id: str, target_id: str) -> None:
        async def work(conn: Conn) -> None:
            # one snapshot of the source, also while a run writes to it
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for table in _TABLES:
                cur = await conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s AND column_name <> 'thread_id' "
                    "ORDER BY ordinal_position",
                    (table,),
                )
                columns = ", ".join(f'"{r[0]}"' for r in await cur.fetchall())
                await conn.execute(
                    f"INSERT INTO {table} (thread_id, {columns}) SELECT %s, {columns} FROM {table} WHERE thread_id = %s",
                    (target_id, source_id),
                )
            # runs record their thread in the checkpoint metadata; the copies name their own
            await conn.execute(
                "UPDATE checkpoints SET metadata = jsonb_set(metadata, '{thread_id}', to_jsonb(%s::text)) "
                "WHERE thread_id = %s AND metadata ? 'thread_id'",
                (target_id, target_id),
            )

        await self._db.retrying(work)

    async def keep_latest(self, thread_id: str) -> None:
        # LangGraph's own prune: in one transaction on one snapshot, it keeps the latest
        # checkpoint of each namespace (a subgraph call's goes with its root checkpoint)
        # and the blobs they reference.
        for attempt in range(1, _PRUNE_ATTEMPTS + 1):
            try:
                await retry_broken(lambda: self._saver.aprune([thread_id], strategy="keep_latest"), seconds=5)
                return
            except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected):
                if attempt == _PRUNE_ATTEMPTS:
                    raise

"""Writes to LangGraph's checkpoint tables beyond the saver's own (`CheckpointAdmin`)."""

from __future__ import annotations

import sqlite3

from .saver import SqliteCheckpointer

class SqliteCheckpoints:
    """Writes to LangGraph's checkpoint tables beside the saver's own, each in one
    transaction on the saver's worker thread: after the writes already queued there
    (a delete issued after a cancelled run lands after that run's last write), and
    all-or-nothing across a crash."""

    def __init__(self, saver: SqliteCheckpointer) -> None:
        self._saver = saver

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        ids = "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?"

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(f"DELETE FROM writes WHERE thread_id = ? AND checkpoint_id IN ({ids})", (thread_id, thread_id, run_id))
            conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ? AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?",
                (thread_id, run_id),
            )

        await self._saver.transaction(work)

    async def delete_thread(self, thread_id: str) -> None:
        await self._saver.adelete_thread(thread_id)

    async def copy_thread(self, source_id: str, target_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            for table in ("checkpoints", "writes"):
                columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[1] != "thread_id")
                conn.execute(
                    f"INSERT INTO {table} (thread_id, {columns}) SELECT ?, {columns} FROM {table} WHERE thread_id = ?",
                    (target_id, source_id),
                )
            # runs record their thread in the checkpoint metadata; the copies name their own
            conn.execute(
                "UPDATE checkpoints SET metadata = CAST(json_set(CAST(metadata AS TEXT), '$.thread_id', ?) AS BLOB) "
                "WHERE thread_id = ? AND json_valid(CAST(metadata AS TEXT)) "
                "AND json_type(CAST(metadata AS TEXT), '$.thread_id') IS NOT NULL",
                (target_id, target_id),
            )

        await self._saver.transaction(work)

    async def keep_latest(self, thread_id: str) -> None:
        # The latest checkpoint of each namespace: the root's is the thread's state, a
        # subgraph's may be what an interrupted (or persistent) subgraph resumes from.
        kept = (
            "WITH kept AS (SELECT checkpoint_ns, max(checkpoint_id) FROM checkpoints WHERE thread_id = :t "
            "GROUP BY checkpoint_ns) "
        )

        def work(conn: sqlite3.Connection) -> None:
            for table in ("writes", "checkpoints"):
                conn.execute(
                    f"{kept}DELETE FROM {table} WHERE thread_id = :t "
                    "AND (checkpoint_ns, checkpoint_id) NOT IN (SELECT * FROM kept)",
                    {"t": thread_id},
                )
            conn.execute("UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = ?", (thread_id,))

        await self._saver.transaction(work)

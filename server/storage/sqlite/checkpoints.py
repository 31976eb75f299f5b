"""Writes to LangGraph's checkpoint tables beyond the saver's own, and what they take
(`CheckpointAdmin`)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from threadloom.protocol.responses import ChannelBytes, ChannelValuesBytes, StoredCount, ThreadStorage

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

    async def usage(self, thread_id: str) -> ThreadStorage:
        """LangGraph's SQLite saver keeps channel values inside each checkpoint: the
        checkpoints' bytes are what the rows hold (values included, so `total_bytes` counts
        them once), and the channel values are told apart by decoding the checkpoints and
        measuring each (channel, version) once, as the serializer writes it."""
        serde = self._saver.serde

        def work(conn: sqlite3.Connection) -> ThreadStorage:
            checkpoints = conn.execute(
                "SELECT type, checkpoint, length(checkpoint) + length(metadata) FROM checkpoints WHERE thread_id = ?",
                (thread_id,),
            ).fetchall()
            seen: set[tuple[str, str]] = set()
            by_channel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for kind, blob, _ in checkpoints:
                checkpoint = serde.loads_typed((kind, blob))
                versions = checkpoint.get("channel_versions", {})
                for channel, value in checkpoint.get("channel_values", {}).items():
                    key = (channel, str(versions.get(channel)))
                    if key not in seen:
                        seen.add(key)
                        by_channel[channel][0] += 1
                        by_channel[channel][1] += len(serde.dumps_typed(value)[1])
            writes, write_bytes = conn.execute(
                "SELECT count(*), coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?", (thread_id,)
            ).fetchone()
            checkpoint_bytes = sum(size for _, _, size in checkpoints)
            return ThreadStorage(
                thread_id=thread_id,
                total_bytes=checkpoint_bytes + write_bytes,
                checkpoints=StoredCount(count=len(checkpoints), bytes=checkpoint_bytes),
                channel_values=ChannelValuesBytes(
                    count=len(seen), bytes=sum(b for _, b in by_channel.values()),
                    by_channel={name: ChannelBytes(versions=v, bytes=b) for name, (v, b) in sorted(by_channel.items())},
                ),
                pending_writes=StoredCount(count=writes, bytes=write_bytes),
            )

        return await self._saver.read(work)

"""Writes to LangGraph's checkpoint tables (`checkpoints`, `checkpoint_blobs`,
`checkpoint_writes`, as `langgraph-checkpoint-postgres` documents them) beside the
saver's own, each in one transaction, and what they take."""

from __future__ import annotations

from typing import Any

import psycopg

from threadloom.protocol.responses import ChannelBytes, ChannelValuesBytes, StoredCount, ThreadStorage

from .db import Database
from .saver import PostgresCheckpointer, retry_broken

Conn = psycopg.AsyncConnection[Any]
_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


class PostgresCheckpoints:
    def __init__(self, db: Database, saver: PostgresCheckpointer) -> None:
        self._db = db
        self._saver = saver

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        await self._saver.settled(thread_id)  # a cancelled run's last write may still be on its way

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
        await self._saver.settled(thread_id)
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
        """As on SQLite: the latest checkpoint of each namespace stays (the root's is the
        thread's state, a subgraph's what an interrupted subgraph resumes from), with its
        writes and the blobs it references; the rest goes, in one transaction. Only
        blobs the deleted checkpoints referenced are candidates, so what a run is saving
        meanwhile (its blobs land before its checkpoint) is never taken."""

        async def work(conn: Conn) -> None:
            args = {"t": thread_id}
            await conn.execute(_KEPT + "DELETE FROM checkpoint_writes WHERE thread_id = %(t)s "
                               "AND (checkpoint_ns, checkpoint_id) NOT IN (SELECT checkpoint_ns, id FROM kept)", args)
            await conn.execute(_KEPT + _DELETE_UNKEPT, args)
            await conn.execute("UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = %(t)s", args)

        await self._db.retrying(work)

    async def usage(self, thread_id: str) -> ThreadStorage:
        """The saver keeps small values inside the checkpoint's JSON and the rest in
        `checkpoint_blobs`: the checkpoints' bytes are their stored JSON (inline values
        included), each (channel, version) is measured once wherever it lives, and
        `total_bytes` counts every stored byte once."""
        t = {"t": thread_id}
        checkpoints = await self._db.fetchone(
            "SELECT count(*), coalesce(sum(pg_column_size(checkpoint) + pg_column_size(metadata)), 0) "
            "FROM checkpoints WHERE thread_id = %(t)s", t,
        )
        blobs = await self._db.fetchone(
            "SELECT coalesce(sum(octet_length(blob)), 0) FROM checkpoint_blobs WHERE thread_id = %(t)s", t,
        )
        writes = await self._db.fetchone(
            "SELECT count(*), coalesce(sum(octet_length(blob)), 0) FROM checkpoint_writes WHERE thread_id = %(t)s", t,
        )
        channels = await self._db.fetchall(
            "SELECT channel, count(*), sum(bytes) FROM ("
            " SELECT DISTINCT ON (channel, version) channel, version, bytes FROM ("
            "  SELECT channel, version, octet_length(blob) AS bytes FROM checkpoint_blobs"
            "   WHERE thread_id = %(t)s AND type <> 'empty'"
            "  UNION ALL SELECT v.key, c.checkpoint -> 'channel_versions' ->> v.key, octet_length(v.value::text)"
            "   FROM checkpoints c, jsonb_each(c.checkpoint -> 'channel_values') v WHERE c.thread_id = %(t)s"
            " ) stored ORDER BY channel, version"
            ") once GROUP BY channel ORDER BY channel", t,
        )
        assert checkpoints is not None and blobs is not None and writes is not None
        by_channel = {name: ChannelBytes(versions=int(n), bytes=int(b)) for name, n, b in channels}
        return ThreadStorage(
            thread_id=thread_id,
            total_bytes=int(checkpoints[1]) + int(blobs[0]) + int(writes[1]),
            checkpoints=StoredCount(count=int(checkpoints[0]), bytes=int(checkpoints[1])),
            channel_values=ChannelValuesBytes(
                count=sum(c.versions for c in by_channel.values()), bytes=sum(c.bytes for c in by_channel.values()),
                by_channel=by_channel,
            ),
            pending_writes=StoredCount(count=int(writes[0]), bytes=int(writes[1])),
        )



_KEPT = (
    "WITH kept AS (SELECT checkpoint_ns, max(checkpoint_id) AS id FROM checkpoints WHERE thread_id = %(t)s "
    "GROUP BY checkpoint_ns) "
)
_DELETE_UNKEPT = """,
freed AS (
    DELETE FROM checkpoints WHERE thread_id = %(t)s
    AND (checkpoint_ns, checkpoint_id) NOT IN (SELECT checkpoint_ns, id FROM kept)
    RETURNING checkpoint_ns, checkpoint -> 'channel_versions' AS versions
),
freed_blobs AS (
    SELECT DISTINCT f.checkpoint_ns, v.key AS channel, v.value #>> '{}' AS version
    FROM freed f, jsonb_each(f.versions) v
)
DELETE FROM checkpoint_blobs b USING freed_blobs fb
WHERE b.thread_id = %(t)s AND b.checkpoint_ns = fb.checkpoint_ns AND b.channel = fb.channel AND b.version = fb.version
AND NOT EXISTS (
    SELECT 1 FROM checkpoints c JOIN kept k ON c.checkpoint_ns = k.checkpoint_ns AND c.checkpoint_id = k.id
    WHERE c.thread_id = %(t)s AND c.checkpoint_ns = fb.checkpoint_ns AND c.checkpoint -> 'channel_versions' ->> fb.channel = fb.version
)
"""


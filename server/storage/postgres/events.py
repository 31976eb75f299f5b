"""The persisted event logs of resumable runs (`protocol.storage.RunEventStore`) in
PostgreSQL, as `..events` in SQLite: `run_logs` one row per log (its head), `run_events`
the events keyed by (run_id, seq), each row one event or the events of one batch
(`..eventchunks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from threadloom.protocol.storage import EventBatch, StoredEvent

from ..eventchunks import chunk_row, expand, single_row, unpack
from .db import Database, utc_text

Conn = psycopg.AsyncConnection[Any]

_ACTIVE = "('pending', 'running')"
_LOG_HEAD = (
    "INSERT INTO run_logs (run_id, last_seq) VALUES (%s, %s) "
    "ON CONFLICT (run_id) DO UPDATE SET last_seq = greatest(run_logs.last_seq, excluded.last_seq)"
)
# Logs of finished runs that still hold events: past their age, or beyond the newest few.
_DOOMED = f"""
WITH finished AS (
    SELECT l.run_id, r.updated_at FROM run_logs l JOIN runs r USING (run_id)
    WHERE NOT l.evicted AND r.status NOT IN {_ACTIVE}
)
SELECT run_id FROM finished WHERE updated_at < %(cutoff)s
UNION SELECT run_id FROM (SELECT run_id FROM finished ORDER BY updated_at DESC OFFSET %(keep)s) older
"""


class PostgresRunEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, events: EventBatch, *, heads: dict[str, int], keep: int) -> None:
        runs = [*heads, *(run_id for run_id in events if run_id not in heads)]

        async def work(conn: Conn) -> None:
            async with conn.cursor() as cur:
                for run_id in runs:
                    rows = events.get(run_id, ())
                    last = max(heads.get(run_id, 0), rows[-1][0] if rows else 0)
                    await cur.execute(_LOG_HEAD, (run_id, last))  # first: the events reference it
                    await _insert(cur, run_id, rows)
                    if last > keep:
                        await _evict(cur, run_id, last - keep)

        await self._db.retrying(work, fenced=False)

    async def read(self, run_id: str, *, after: int, limit: int) -> list[StoredEvent]:
        # from the row holding `after` (a batch's row may hold events past it), in order
        rows = await self._db.fetchall(
            "SELECT seq, name, data, last_seq FROM run_events WHERE run_id = %(r)s AND seq >= "
            "coalesce((SELECT max(seq) FROM run_events WHERE run_id = %(r)s AND seq <= %(after)s), %(after)s) "
            "ORDER BY seq LIMIT %(n)s",
            {"r": run_id, "after": after, "n": limit + 1},
        )
        return expand(rows, after=after, limit=limit)

    async def bounds(self, run_id: str) -> tuple[int, int] | None:
        row = await self._db.fetchone(
            "SELECT (SELECT min(seq) FROM run_events WHERE run_id = %(r)s), last_seq FROM run_logs WHERE run_id = %(r)s",
            {"r": run_id},
        )
        if row is None:
            return None
        first, last = row
        return (last + 1 if first is None else first), last

    async def unfinished_heads(self) -> dict[str, int]:
        rows = await self._db.fetchall(
            f"SELECT l.run_id, l.last_seq FROM run_logs l JOIN runs r USING (run_id) WHERE r.status IN {_ACTIVE}"
        )
        return {run_id: last for run_id, last in rows}

    async def sweep(self, *, finished_before: datetime, keep_runs: int) -> int:
        async def work(conn: Conn) -> int:
            await conn.execute(
                "DELETE FROM run_logs WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.run_id = run_logs.run_id)"
            )
            cur = await conn.execute(_DOOMED, {"cutoff": utc_text(finished_before), "keep": keep_runs})
            doomed = [r[0] for r in await cur.fetchall()]
            if doomed:
                await conn.execute("DELETE FROM run_events WHERE run_id = ANY(%s::text[])", (doomed,))
                await conn.execute("UPDATE run_logs SET evicted = true WHERE run_id = ANY(%s::text[])", (doomed,))
            return len(doomed)

        return await self._db.retrying(work, fenced=False)


async def _insert(cur: psycopg.AsyncCursor[Any], run_id: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        await cur.execute(
            "INSERT INTO run_events (run_id, seq, name, data) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            single_row(run_id, rows[0]),
        )
    elif rows:
        await cur.execute(
            "INSERT INTO run_events (run_id, seq, name, data, last_seq) VALUES (%s, %s, '', %s, %s) ON CONFLICT DO NOTHING",
            chunk_row(run_id, rows),
        )


async def _evict(cur: psycopg.AsyncCursor[Any], run_id: str, upto: int) -> None:
    """Drop the run's events up to seq `upto`; a batch's row that straddles it keeps the rest."""
    await cur.execute(
        "DELETE FROM run_events WHERE run_id = %s AND seq <= %s AND coalesce(last_seq, seq) <= %s", (run_id, upto, upto)
    )
    await cur.execute(
        "DELETE FROM run_events WHERE run_id = %s AND seq <= %s AND last_seq > %s RETURNING data", (run_id, upto, upto)
    )
    straddling = await cur.fetchone()
    if straddling is not None:
        await _insert(cur, run_id, [event for event in unpack(bytes(straddling[0])) if event[0] > upto])

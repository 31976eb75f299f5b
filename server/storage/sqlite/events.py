"""The persisted event logs of resumable runs (`protocol.storage.RunEventStore`), in the
records database. `run_logs` has one row per log (its head: the last seq it numbered,
stored or not, which outlives evicted events); `run_events` the events themselves, keyed
by (run_id, seq), each row one event or the events of one batch (`..eventchunks`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from threadloom.protocol.storage import EventBatch, StoredEvent

from ..eventchunks import chunk_row, expand, single_row, unpack
from .db import Database, utc_text

_ACTIVE = "('pending', 'running')"
_LOG_HEAD = (
    "INSERT INTO run_logs (run_id, last_seq) VALUES (?, ?) "
    "ON CONFLICT(run_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)"
)
# Logs of finished runs that still hold events: past their age, or beyond the newest few.
_DOOMED = f"""
WITH finished AS (
    SELECT l.run_id, r.updated_at FROM run_logs l JOIN runs r USING (run_id)
    WHERE NOT l.evicted AND r.status NOT IN {_ACTIVE}
)
SELECT run_id FROM finished WHERE updated_at < :cutoff
UNION SELECT run_id FROM (SELECT run_id FROM finished ORDER BY updated_at DESC LIMIT -1 OFFSET :keep)
"""


class SqliteRunEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, events: EventBatch, *, heads: dict[str, int], keep: int) -> None:
        runs = [*heads, *(run_id for run_id in events if run_id not in heads)]

        def work(conn: sqlite3.Connection) -> None:
            for run_id in runs:
                rows = events.get(run_id, ())
                last = max(heads.get(run_id, 0), rows[-1][0] if rows else 0)
                conn.execute(_LOG_HEAD, (run_id, last))  # first: the events reference it
                _insert(conn, run_id, rows)
                if last > keep:
                    _evict(conn, run_id, last - keep)

        await self._db.write(work)

    async def read(self, run_id: str, *, after: int, limit: int) -> list[StoredEvent]:
        # from the row holding `after` (a batch's row may hold events past it), in order
        rows = self._db.conn.execute(
            "SELECT seq, name, data, last_seq FROM run_events WHERE run_id = :r AND seq >= "
            "coalesce((SELECT max(seq) FROM run_events WHERE run_id = :r AND seq <= :after), :after) "
            "ORDER BY seq LIMIT :n",
            {"r": run_id, "after": after, "n": limit + 1},
        )
        return expand(rows, after=after, limit=limit)

    async def bounds(self, run_id: str) -> tuple[int, int] | None:
        row = self._db.conn.execute(
            "SELECT (SELECT min(seq) FROM run_events WHERE run_id = :r), last_seq FROM run_logs WHERE run_id = :r",
            {"r": run_id},
        ).fetchone()
        if row is None:
            return None
        first, last = row
        return (last + 1 if first is None else first), last

    async def unfinished_heads(self) -> dict[str, int]:
        rows = self._db.conn.execute(
            f"SELECT l.run_id, l.last_seq FROM run_logs l JOIN runs r USING (run_id) WHERE r.status IN {_ACTIVE}"
        ).fetchall()
        return dict(rows)

    async def sweep(self, *, finished_before: datetime, keep_runs: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM run_logs WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.run_id = run_logs.run_id)")
            doomed = conn.execute(_DOOMED, {"cutoff": utc_text(finished_before), "keep": keep_runs}).fetchall()
            conn.executemany("DELETE FROM run_events WHERE run_id = ?", doomed)
            conn.executemany("UPDATE run_logs SET evicted = 1 WHERE run_id = ?", doomed)
            return len(doomed)

        return await self._db.write(work)


def _insert(conn: sqlite3.Connection, run_id: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        conn.execute("INSERT OR IGNORE INTO run_events (run_id, seq, name, data) VALUES (?,?,?,?)", single_row(run_id, rows[0]))
    elif rows:
        conn.execute(
            "INSERT OR IGNORE INTO run_events (run_id, seq, name, data, last_seq) VALUES (?,?,'',?,?)", chunk_row(run_id, rows)
        )


def _evict(conn: sqlite3.Connection, run_id: str, upto: int) -> None:
    """Drop the run's events up to seq `upto`; a batch's row that straddles it keeps the rest."""
    conn.execute("DELETE FROM run_events WHERE run_id = ? AND seq <= ? AND coalesce(last_seq, seq) <= ?", (run_id, upto, upto))
    straddling = conn.execute(
        "SELECT seq, data FROM run_events WHERE run_id = ? AND seq <= ? AND last_seq > ?", (run_id, upto, upto)
    ).fetchone()
    if straddling is not None:
        conn.execute("DELETE FROM run_events WHERE run_id = ? AND seq = ?", (run_id, straddling[0]))
        _insert(conn, run_id, [event for event in unpack(straddling[1]) if event[0] > upto])

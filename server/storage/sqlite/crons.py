"""Crons in SQLite. Dates are stored as ISO text in UTC (see `actors/newcron.py::utc_iso`),
so `<=` and ORDER BY on them are chronological."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Cron
from threadloom.protocol.serde import loads

from . import where
from .db import Database, to_json, utc_text

_COLUMNS = (
    "cron_id, assistant_id, thread_id, user_id, end_time, schedule, timezone, payload, "
    "next_run_date, metadata, on_run_completed, enabled, created_at, updated_at"
)
_INSERT = f"INSERT INTO crons ({_COLUMNS}) VALUES ({','.join('?' * 14)})"
_REPLACE = f"UPDATE crons SET ({_COLUMNS}) = ({','.join('?' * 14)}) WHERE cron_id = ?"


def _row(c: Cron) -> tuple[Any, ...]:
    return (
        c.cron_id, c.assistant_id, c.thread_id, c.user_id, c.end_time, c.schedule, c.timezone, to_json(c.payload),
        c.next_run_date, to_json(c.metadata), c.on_run_completed, int(c.enabled), c.created_at, c.updated_at,
    )


def _cron(row: sqlite3.Row) -> Cron:
    return Cron(
        cron_id=row[0], assistant_id=row[1], thread_id=row[2], user_id=row[3], end_time=row[4], schedule=row[5],
        timezone=row[6], payload=loads(row[7]), next_run_date=row[8], metadata=loads(row[9]),
        on_run_completed=row[10], enabled=bool(row[11]), created_at=row[12], updated_at=row[13],
    )


def _where(
    assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
    auth: Filter | None,
) -> where.Sql:
    parts = [where.auth("metadata", auth), *where.member_lookups("cron_id", "cron_members", ("1", []), metadata)]
    parts.append(where.has_keys("metadata", metadata))
    for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id), ("enabled", enabled)):
        if value is not None:
            parts.append((f"{column} = ?", [int(value) if isinstance(value, bool) else value]))
    return where.every(parts)


class SqliteCrons:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, cron_id: str) -> Cron | None:
        row = self._db.conn.execute(f"SELECT {_COLUMNS} FROM crons WHERE cron_id = ?", (cron_id,)).fetchone()
        return _cron(row) if row else None

    async def insert(self, cron: Cron, *, user: dict[str, Any] | None = None) -> bool:
        """False if its thread is gone. `user`: who it runs as (custom auth)."""
        def work(conn: sqlite3.Connection) -> bool:
            try:
                conn.execute(_INSERT, _row(cron))
            except sqlite3.IntegrityError:  # its thread was deleted meanwhile
                return False
            if user is not None:
                conn.execute("UPDATE crons SET auth_user = ? WHERE cron_id = ?", (to_json(user), cron.cron_id))
            return True

        return await self._db.write(work)

    async def user(self, cron_id: str) -> dict[str, Any] | None:
        row = self._db.conn.execute("SELECT auth_user FROM crons WHERE cron_id = ?", (cron_id,)).fetchone()
        return loads(row[0]) if row and row[0] else None

    async def update(self, cron_id: str, change: Callable[[Cron], Cron]) -> Cron | None:
        def work(conn: sqlite3.Connection) -> Cron | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM crons WHERE cron_id = ?", (cron_id,)).fetchone()
            if row is None:
                return None
            cron = change(_cron(row))
            conn.execute(_REPLACE, (*_row(cron), cron_id))
            return cron

        return await self._db.write(work)

    async def delete(self, cron_id: str) -> bool:
        return await self._db.write(lambda conn: conn.execute("DELETE FROM crons WHERE cron_id = ?", (cron_id,)).rowcount == 1)

    async def search(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None,
        metadata: dict[str, Any] | None, limit: int, offset: int, sort_by: str, sort_order: str,
        auth: Filter | None = None,
    ) -> list[Cron]:
        condition, args = _where(assistant_id, thread_id, enabled, metadata, auth)
        order = "DESC" if sort_order == "desc" else "ASC"
        sql = f"SELECT {_COLUMNS} FROM crons WHERE {condition} ORDER BY {sort_by} {order}, cron_id {order} LIMIT ? OFFSET ?"
        return await self._db.read(lambda conn: [_cron(r) for r in conn.execute(sql, (*args, limit, offset))])

    async def count(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        condition, args = _where(assistant_id, thread_id, enabled, metadata, auth)
        sql = f"SELECT count(*) FROM crons WHERE {condition}"
        count: int = await self._db.read(lambda conn: conn.execute(sql, args).fetchone()[0])
        return count

    async def due(self, now: datetime, *, limit: int) -> list[Cron]:
        rows = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM crons WHERE enabled AND next_run_date <= ? ORDER BY next_run_date LIMIT ?",
            (utc_text(now), limit),
        ).fetchall()
        return [_cron(r) for r in rows]

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        sql = "UPDATE crons SET next_run_date = ?, enabled = ? WHERE cron_id = ? AND enabled AND next_run_date = ?"
        following = None if next_run_date is None else utc_text(next_run_date)
        args = (following, int(following is not None), cron_id, utc_text(slot))
        return await self._db.write(lambda conn: conn.execute(sql, args).rowcount == 1)

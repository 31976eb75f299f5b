"""Crons in PostgreSQL (as `..crons` in SQLite). Dates are ISO text in UTC, so `<=` and
ORDER BY on them are chronological."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Cron
from threadloom.protocol.serde import loads

from .db import Database, to_json, utc_text
from .filters import auth_sql, equals

Conn = psycopg.AsyncConnection[Any]

_COLUMNS = (
    "cron_id, assistant_id, thread_id, user_id, end_time, schedule, timezone, payload, "
    "next_run_date, metadata, on_run_completed, enabled, created_at, updated_at"
)
_SELECT = _COLUMNS.replace("payload", "payload::text").replace("metadata", "metadata::text")
_VALUES = "%s, %s, %s, %s, %s, %s, %s, %s::json, %s, %s::json, %s, %s, %s, %s"
_INSERT = f"INSERT INTO crons ({_COLUMNS}) VALUES ({_VALUES})"
_REPLACE = f"UPDATE crons SET ({_COLUMNS}) = ({_VALUES}) WHERE cron_id = %s"


def _row(c: Cron) -> tuple[Any, ...]:
    return (
        c.cron_id, c.assistant_id, c.thread_id, c.user_id, c.end_time, c.schedule, c.timezone, to_json(c.payload),
        c.next_run_date, to_json(c.metadata), c.on_run_completed, bool(c.enabled), c.created_at, c.updated_at,
    )


def _cron(row: tuple[Any, ...]) -> Cron:
    return Cron(
        cron_id=row[0], assistant_id=row[1], thread_id=row[2], user_id=row[3], end_time=row[4], schedule=row[5],
        timezone=row[6], payload=loads(row[7]), next_run_date=row[8], metadata=loads(row[9]),
        on_run_completed=row[10], enabled=bool(row[11]), created_at=row[12], updated_at=row[13],
    )


def _where(
    assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
    auth: Filter | None,
) -> tuple[str, list[Any]]:
    where, args = auth_sql("metadata_index", auth)
    where.insert(0, "TRUE")
    for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id), ("enabled", enabled)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    for key, value in (metadata or {}).items():
        sql, more = equals("metadata_index", key, value)
        where.append(sql)
        args.extend(more)
    return " AND ".join(where), args


class PostgresCrons:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, cron_id: str) -> Cron | None:
        row = await self._db.fetchone(f"SELECT {_SELECT} FROM crons WHERE cron_id = %s", (cron_id,))
        return _cron(row) if row else None

    async def insert(self, cron: Cron, *, user: dict[str, Any] | None = None) -> bool:
        """False if its thread is gone. `user`: who it runs as (custom auth)."""

        async def work(conn: Conn) -> bool:
            try:
                async with conn.transaction():  # a savepoint: the failure leaves the rest usable
                    await conn.execute(_INSERT, _row(cron))
            except psycopg.errors.ForeignKeyViolation:  # its thread was deleted meanwhile
                return False
            if user is not None:
                await conn.execute("UPDATE crons SET auth_user = %s::json WHERE cron_id = %s", (to_json(user), cron.cron_id))
            return True

        return await self._db.retrying(work)

    async def user(self, cron_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchone("SELECT auth_user::text FROM crons WHERE cron_id = %s", (cron_id,))
        return loads(row[0]) if row and row[0] else None

    async def update(self, cron_id: str, change: Callable[[Cron], Cron]) -> Cron | None:
        async def work(conn: Conn) -> Cron | None:
            cur = await conn.execute(f"SELECT {_SELECT} FROM crons WHERE cron_id = %s FOR UPDATE", (cron_id,))
            row = await cur.fetchone()
            if row is None:
                return None
            cron = change(_cron(row))
            await conn.execute(_REPLACE, (*_row(cron), cron_id))
            return cron

        return await self._db.retrying(work)

    async def delete(self, cron_id: str) -> bool:
        return await self._db.rowcount("DELETE FROM crons WHERE cron_id = %s", (cron_id,)) == 1

    async def search(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None,
        metadata: dict[str, Any] | None, limit: int, offset: int, sort_by: str, sort_order: str,
        auth: Filter | None = None,
    ) -> list[Cron]:
        where, args = _where(assistant_id, thread_id, enabled, metadata, auth)
        order = "DESC" if sort_order == "desc" else "ASC"
        # NULLs sort as SQLite sorts them: first ascending, last descending
        nulls = "NULLS LAST" if order == "DESC" else "NULLS FIRST"
        rows = await self._db.fetchall(
            f"SELECT {_SELECT} FROM crons WHERE {where} ORDER BY {sort_by} {order} {nulls}, cron_id {order} "
            "LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        return [_cron(r) for r in rows]

    async def count(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int:
        where, args = _where(assistant_id, thread_id, enabled, metadata, auth)
        row = await self._db.fetchone(f"SELECT count(*) FROM crons WHERE {where}", args)
        return int(row[0]) if row else 0

    async def due(self, now: datetime, *, limit: int) -> list[Cron]:
        rows = await self._db.fetchall(
            f"SELECT {_SELECT} FROM crons WHERE enabled AND next_run_date <= %s ORDER BY next_run_date LIMIT %s",
            (utc_text(now), limit),
        )
        return [_cron(r) for r in rows]

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        sql = "UPDATE crons SET next_run_date = %s, enabled = %s WHERE cron_id = %s AND enabled AND next_run_date = %s"
        following = None if next_run_date is None else utc_text(next_run_date)
        return await self._db.rowcount(sql, (following, following is not None, cron_id, utc_text(slot))) == 1

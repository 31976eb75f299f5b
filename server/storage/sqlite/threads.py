"""Threads in SQLite."""

from __future__ import annotations

from typing import Any

import msgspec

from threadloom.protocol.filters import Filter
from threadloom.protocol.priority import ThreadPriority
from threadloom.protocol.resources import Thread
from threadloom.protocol.ttl import Expired, ThreadTtl

from . import where
from .db import Database
from .rows import THREAD_COLUMNS, thread_of, thread_row, write_thread

_SORTS = frozenset({"thread_id", "status", "created_at", "updated_at", "state_updated_at"})


class SqliteThreads:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, thread_id: str) -> Thread | None:
        row = self._db.conn.execute(f"SELECT {THREAD_COLUMNS} FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        return thread_of(row) if row else None

    async def insert(self, thread: Thread) -> bool:
        sql = f"INSERT OR IGNORE INTO threads ({THREAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
        return await self._db.write(lambda conn: conn.execute(sql, thread_row(thread)).rowcount == 1)

    async def update(self, thread: Thread) -> None:
        await self._db.write(lambda conn: write_thread(conn, thread))

    async def delete(self, thread_id: str) -> bool:
        return await self._db.write(lambda conn: conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,)).rowcount == 1)

    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        if sort_by not in _SORTS or sort_order not in ("asc", "desc"):
            raise ValueError(f"cannot sort threads by {sort_by} {sort_order}")
        condition, args = _where(ids, metadata, values, status, auth)
        order = f"{sort_by} {sort_order}" if sort_by == "thread_id" else f"{sort_by} {sort_order}, thread_id {sort_order}"
        # thread_id breaks ties, so that pages never overlap
        sql = f"SELECT {THREAD_COLUMNS} FROM threads WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?"
        return await self._db.read(lambda conn: [thread_of(r) for r in conn.execute(sql, (*args, limit, offset))])

    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        condition, args = _where(ids, metadata, values, status, auth)
        sql = f"SELECT count(*) FROM threads WHERE {condition}"
        count: int = await self._db.read(lambda conn: conn.execute(sql, args).fetchone()[0])
        return count

    async def priority(self, thread_id: str) -> ThreadPriority | None:
        row = self._db.conn.execute("SELECT priority FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        return None if row is None or row[0] is None else msgspec.json.decode(row[0], type=ThreadPriority)

    async def set_priority(self, thread_id: str, settings: ThreadPriority) -> None:
        encoded = msgspec.json.encode(settings).decode()
        await self._db.write(lambda conn: conn.execute("UPDATE threads SET priority = ? WHERE thread_id = ?", (encoded, thread_id)))

    async def set_ttl(self, thread_id: str, ttl: ThreadTtl) -> None:
        sql = "UPDATE threads SET ttl_strategy = ?, ttl_minutes = ?, ttl_pruned_at = NULL WHERE thread_id = ?"
        await self._db.write(lambda conn: conn.execute(sql, (ttl.strategy, ttl.minutes, thread_id)))

    async def expired(self, now: str, limit: int, *, thread_id: str | None = None) -> list[Expired]:
        one = "" if thread_id is None else " AND thread_id = ?"
        rows = self._db.conn.execute(
            "SELECT thread_id, ttl_strategy FROM threads "
            f"WHERE ttl_due IS NOT NULL AND ttl_due <= julianday(?) AND status <> 'busy'{one} ORDER BY ttl_due LIMIT ?",
            (now, *([] if thread_id is None else [thread_id]), limit),
        ).fetchall()
        return [Expired(r[0], r[1]) for r in rows]

    async def pruned(self, thread_id: str) -> None:
        sql = "UPDATE threads SET ttl_pruned_at = updated_at WHERE thread_id = ?"
        await self._db.write(lambda conn: conn.execute(sql, (thread_id,)))

    async def needing_recovery(self) -> list[str]:
        rows = self._db.conn.execute(
            "SELECT thread_id FROM runs WHERE status IN ('pending', 'running') GROUP BY thread_id "
            "UNION ALL SELECT thread_id FROM threads WHERE status = 'busy' AND NOT EXISTS "
            "(SELECT 1 FROM runs WHERE runs.thread_id = threads.thread_id AND status IN ('pending', 'running'))"
        ).fetchall()
        return [r[0] for r in rows]


def _where(
    ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None,
    auth: Filter | None,
) -> where.Sql:
    parts = [where.auth("metadata", auth)]
    if ids is not None:
        parts.append((f"thread_id IN ({','.join('?' * len(ids))})", list(ids)))
    if status is not None:
        parts.append(("status = ?", [status]))
    for field, column, wanted in (("metadata", "metadata", metadata), ("values", '"values"', values)):
        if wanted:
            parts.extend(where.member_lookups("thread_id", "thread_members", ("field = ?", [field]), wanted))
            parts.append(where.contains(column, wanted))
    return where.every(parts)


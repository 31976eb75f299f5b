"""Runs in SQLite: each thread's queue in `seq` order."""

from __future__ import annotations

import builtins

import sqlite3
from typing import Any

from threadloom.protocol.clock import now_iso
from threadloom.protocol.resources import Run, RunKwargs, RunStatus, Thread

from .db import Database, to_json
from .rows import RUN_COLUMNS, run_of, write_thread

class SqliteRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, run_id: str) -> Run | None:
        row = self._db.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return run_of(row) if row else None

    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> list[Run]:
        where, args = "thread_id = ?", [thread_id]
        if status is not None:
            where += " AND status = ?"
            args.append(status)
        sql = f"SELECT {RUN_COLUMNS} FROM runs WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?"
        return await self._db.read(lambda conn: [run_of(r) for r in conn.execute(sql, (*args, limit, offset))])

    async def active(self, thread_id: str) -> builtins.list[tuple[Run, int]]:
        rows = self._db.conn.execute(
            f"SELECT {RUN_COLUMNS}, attempt FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') "
            "ORDER BY status = 'running' DESC, seq",
            (thread_id,),
        ).fetchall()
        return [(run_of(r), r[9]) for r in rows]

    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> builtins.list[Run]:
        """Pending and/or running runs across all threads, optionally of one assistant."""
        statuses = ("pending", "running") if status is None else (status,)
        where, args = f"status IN ({','.join('?' * len(statuses))})", list(statuses)
        if assistant_id is not None:
            where += " AND assistant_id = ?"
            args.append(assistant_id)
        rows = self._db.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE {where} ORDER BY seq", args).fetchall()
        return [run_of(r) for r in rows]

    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        row = (
            run.run_id, run.thread_id, run.assistant_id, to_json(run.metadata), run.status,
            to_json(run.kwargs), run.multitask_strategy, run.created_at, run.updated_at,
        )

        def work(conn: sqlite3.Connection) -> None:
            write_thread(conn, thread)
            conn.execute(f"INSERT INTO runs ({RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", row)

        await self._db.write(work)

    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None:
        args: tuple[Any, ...]
        if attempt is None:
            sql, args = "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?", (status, now_iso(), run_id)
        else:
            sql, args = "UPDATE runs SET status = ?, updated_at = ?, attempt = ? WHERE run_id = ?", (status, now_iso(), attempt, run_id)
        await self._db.write(lambda conn: conn.execute(sql, args))

    async def start(self, run_id: str, kwargs: RunKwargs, *, attempt: int | None) -> None:
        sql = "UPDATE runs SET status = 'running', updated_at = ?, kwargs = ?, attempt = coalesce(?, attempt) WHERE run_id = ?"
        args = (now_iso(), to_json(kwargs), attempt, run_id)
        await self._db.write(lambda conn: conn.execute(sql, args))

    async def finish(self, thread: Thread | None, run_id: str, status: RunStatus | None) -> None:
        def work(conn: sqlite3.Connection) -> None:
            if status is None:
                conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            else:
                conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?", (status, now_iso(), run_id))
            if thread is not None:
                write_thread(conn, thread)

        await self._db.write(work)

    async def delete(self, run_id: str) -> bool:
        return await self._db.write(lambda conn: conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount == 1)

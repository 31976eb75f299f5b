"""SQLite storage: threadloom's records, LangGraph's checkpoints and LangGraph's store in
one database file.

Records go through a plain `sqlite3` connection on the event loop thread: in WAL mode a
small write is tens of microseconds, cheaper than a hop to a worker thread. LangGraph's
checkpoints (`saver.py`) and store work on the same file through their own connections,
which wait for locks on their own threads. The store holds transactions across awaits, so a records
write never waits for a lock on the loop (that would stop the holder from committing):
it retries after a short asynchronous sleep instead (`Database.write`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from typing import Any

import aiosqlite
import msgspec
from langgraph.store.sqlite.aio import AsyncSqliteStore

from threadloom.protocol.clock import now_iso
from threadloom.protocol.filters import Filter
from threadloom.protocol.resources import Run, RunKwargs, RunStatus, Thread
from threadloom.protocol.search import json_contains
from threadloom.protocol.serde import loads

from .assistants import SqliteAssistants
from .crons import SqliteCrons
from .db import Database, auth_condition, to_json
from .events import SqliteRunEvents
from .lockfile import DatabaseLock
from .saver import SqliteCheckpointer
from .store import open_store

_THREAD_COLUMNS = 'thread_id, created_at, updated_at, state_updated_at, metadata, status, config, "values", interrupts, error'
_UPSERT_THREAD = (
    f"INSERT INTO threads ({_THREAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(thread_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _THREAD_COLUMNS.split(", ")[1:])
)
_RUN_COLUMNS = "run_id, thread_id, assistant_id, metadata, status, kwargs, multitask_strategy, created_at, updated_at"


def _thread_row(t: Thread) -> tuple[Any, ...]:
    # An UNSET value or error is SQL NULL; UNSET interrupts (a NOT NULL column) JSON null,
    # which a thread's interrupts (a map) never are.
    interrupts = None if t.interrupts is msgspec.UNSET else t.interrupts
    return (
        t.thread_id, t.created_at, t.updated_at, t.state_updated_at, to_json(t.metadata), t.status,
        to_json(t.config), _json_or_null(t.values), to_json(interrupts), _json_or_null(t.error),
    )


def _thread(row: sqlite3.Row) -> Thread:
    interrupts = loads(row[8])
    return Thread(
        thread_id=row[0], created_at=row[1], updated_at=row[2], state_updated_at=row[3],
        metadata=loads(row[4]), status=row[5], config=loads(row[6]), values=_loads_or_unset(row[7]),
        interrupts=msgspec.UNSET if interrupts is None else interrupts, error=_loads_or_unset(row[9]),
    )


def _json_or_null(value: Any) -> str | None:
    return None if value is msgspec.UNSET else to_json(value)


def _loads_or_unset(text: str | None) -> Any:
    return msgspec.UNSET if text is None else loads(text)


def _run(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row[0], thread_id=row[1], assistant_id=row[2], metadata=loads(row[3]), status=row[4],
        kwargs=msgspec.json.decode(row[5], type=RunKwargs), multitask_strategy=row[6],
        created_at=row[7], updated_at=row[8],
    )


def _sql_json_contains(document: str | None, wanted: str) -> bool:
    return document is not None and json_contains(loads(document), loads(wanted))


_THREAD_SORTS = frozenset({"thread_id", "status", "created_at", "updated_at", "state_updated_at"})


class SqliteThreads:
    def __init__(self, db: Database) -> None:
        self._db = db
        db.conn.create_function("json_contains", 2, _sql_json_contains, deterministic=True)

    async def get(self, thread_id: str) -> Thread | None:
        row = self._db.conn.execute(f"SELECT {_THREAD_COLUMNS} FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
        return _thread(row) if row else None

    async def insert(self, thread: Thread) -> bool:
        sql = f"INSERT OR IGNORE INTO threads ({_THREAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
        return await self._db.write(lambda conn: conn.execute(sql, _thread_row(thread)).rowcount == 1)

    async def update(self, thread: Thread) -> None:
        await self._db.write(lambda conn: self._write(conn, thread))

    @staticmethod
    def _write(conn: sqlite3.Connection, thread: Thread) -> None:
        # An upsert, not INSERT OR REPLACE: a replace deletes the row first, and that
        # cascades to the thread's runs.
        conn.execute(_UPSERT_THREAD, _thread_row(thread))

    async def delete(self, thread_id: str) -> bool:
        return await self._db.write(lambda conn: conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,)).rowcount == 1)

    async def search(
        self, *, ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None,
        status: str | None, limit: int, offset: int, sort_by: str = "updated_at", sort_order: str = "desc",
        auth: Filter | None = None,
    ) -> list[Thread]:
        if sort_by not in _THREAD_SORTS or sort_order not in ("asc", "desc"):
            raise ValueError(f"cannot sort threads by {sort_by} {sort_order}")
        where, args = self._where(ids, metadata, values, status, auth)
        # thread_id breaks ties, so that pages never overlap
        rows = self._db.conn.execute(
            f"SELECT {_THREAD_COLUMNS} FROM threads WHERE {where} "
            f"ORDER BY {sort_by} {sort_order}, thread_id {sort_order} LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        return [_thread(r) for r in rows]

    async def count(
        self, *, ids: list[str] | None = None, metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None, status: str | None = None, auth: Filter | None = None,
    ) -> int:
        where, args = self._where(ids, metadata, values, status, auth)
        return self._db.conn.execute(f"SELECT count(*) FROM threads WHERE {where}", args).fetchone()[0]

    @staticmethod
    def _where(
        ids: list[str] | None, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None,
        auth: Filter | None,
    ) -> tuple[str, list[Any]]:
        where, args = auth_condition("metadata", auth)
        where.insert(0, "1")
        if ids is not None:
            where.append(f"thread_id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        for column, wanted in (("metadata", metadata), ('"values"', values)):
            if wanted:
                where.append(f"json_contains({column}, ?)")
                args.append(to_json(wanted))
        return " AND ".join(where), args

    async def needing_recovery(self) -> list[str]:
        rows = self._db.conn.execute(
            "SELECT thread_id FROM runs WHERE status IN ('pending', 'running') GROUP BY thread_id "
            "UNION ALL SELECT thread_id FROM threads WHERE status = 'busy' AND NOT EXISTS "
            "(SELECT 1 FROM runs WHERE runs.thread_id = threads.thread_id AND status IN ('pending', 'running'))"
        ).fetchall()
        return [r[0] for r in rows]


class SqliteRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, run_id: str) -> Run | None:
        row = self._db.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    async def list(self, thread_id: str, *, limit: int, offset: int, status: str | None) -> list[Run]:
        where, args = "thread_id = ?", [thread_id]
        if status is not None:
            where += " AND status = ?"
            args.append(status)
        rows = self._db.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?", (*args, limit, offset)
        ).fetchall()
        return [_run(r) for r in rows]

    async def active(self, thread_id: str) -> list[tuple[Run, int]]:
        rows = self._db.conn.execute(
            f"SELECT {_RUN_COLUMNS}, attempt FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') "
            "ORDER BY status = 'running' DESC, seq",
            (thread_id,),
        ).fetchall()
        return [(_run(r), r[9]) for r in rows]

    async def find_active(self, *, status: str | None = None, assistant_id: str | None = None) -> list[Run]:
        """Pending and/or running runs across all threads, optionally of one assistant."""
        statuses = ("pending", "running") if status is None else (status,)
        where, args = f"status IN ({','.join('?' * len(statuses))})", list(statuses)
        if assistant_id is not None:
            where += " AND assistant_id = ?"
            args.append(assistant_id)
        rows = self._db.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} ORDER BY seq", args).fetchall()
        return [_run(r) for r in rows]

    async def begin(self, thread: Thread, run: Run, *, create_thread: bool) -> None:
        row = (
            run.run_id, run.thread_id, run.assistant_id, to_json(run.metadata), run.status,
            to_json(run.kwargs), run.multitask_strategy, run.created_at, run.updated_at,
        )

        def work(conn: sqlite3.Connection) -> None:
            SqliteThreads._write(conn, thread)
            conn.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", row)

        await self._db.write(work)

    async def set_status(self, run_id: str, status: RunStatus, *, attempt: int | None = None) -> None:
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
                SqliteThreads._write(conn, thread)

        await self._db.write(work)

    async def delete(self, run_id: str) -> bool:
        return await self._db.write(lambda conn: conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount == 1)


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


class CannotOpen(Exception):
    @classmethod
    def of(cls, path: str, exc: BaseException) -> CannotOpen:
        """What went wrong, with the likely cause when the folder is not writable (a
        container's volume owned by another user)."""
        reason = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror if exc.filename in (None, path) else f"{exc.strerror}: {exc.filename}"
        message = f"cannot open the database {path}: {reason}"
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(folder) and not os.access(folder, os.W_OK):
            message += f" ({folder} is not writable by this user, uid {os.getuid()})"
        return cls(message)


class SqliteStorage:
    """Opened with `await SqliteStorage.open(path)`; `path=None` is a throw-away database."""

    def __init__(
        self, lock: DatabaseLock, db: Database, saver: SqliteCheckpointer, store: AsyncSqliteStore, tmpdir: str | None
    ) -> None:
        self._lock = lock
        self._db = db
        self._tmpdir = tmpdir
        self.saver = saver
        self.store = store
        self.threads = SqliteThreads(db)
        self.runs = SqliteRuns(db)
        self.assistants = SqliteAssistants(db)
        self.crons = SqliteCrons(db)
        self.events = SqliteRunEvents(db)
        self.checkpoints = SqliteCheckpoints(saver)

    @classmethod
    async def open(
        cls, path: str | None, *, store_index: dict[str, Any] | None = None, store_ttl: dict[str, Any] | None = None
    ) -> SqliteStorage:
        """`store_index` and `store_ttl`: LangGraph's store configuration (see `store.py`).
        Raises `DatabaseInUse` when another server holds the file, `CannotOpen` (naming
        the file) when it cannot be opened."""
        tmpdir = None
        if path is None:
            tmpdir = tempfile.mkdtemp(prefix="threadloom-")
            path = os.path.join(tmpdir, "threadloom.sqlite")
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            lock = DatabaseLock.acquire(path)
        except OSError as exc:
            raise CannotOpen.of(path, exc) from exc
        try:
            db = Database(path)
            saver = await SqliteCheckpointer.open(path)
            store = await open_store(await _connect(path), index=store_index, ttl=store_ttl)
        except BaseException as exc:
            lock.release()
            if isinstance(exc, (OSError, sqlite3.Error)):
                raise CannotOpen.of(path, exc) from exc
            raise
        if tmpdir is not None:
            db.conn.execute("PRAGMA synchronous=OFF")
        return cls(lock, db, saver, store, tmpdir)

    async def close(self) -> None:
        await self.store.stop_ttl_sweeper()
        await self.store.conn.close()
        await self.saver.close()
        self._db.conn.close()
        self._lock.release()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


async def _connect(path: str) -> aiosqlite.Connection:
    """An aiosqlite connection in autocommit mode (the store begins its own transactions);
    it waits for locks on its own thread."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    # WAL with synchronous=NORMAL, as for the records: safe across a process crash; a
    # power loss may lose the last commits.
    await conn.execute("PRAGMA busy_timeout=10000")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn

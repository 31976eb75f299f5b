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
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import aiosqlite
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.store.sqlite.aio import AsyncSqliteStore

from .assistants import SqliteAssistants
from .checkpoints import SqliteCheckpoints
from .crons import SqliteCrons
from .db import Database
from .events import SqliteRunEvents
from .lockfile import DatabaseLock
from .runs import SqliteRuns
from .saver import SqliteCheckpointer
from .store import open_store
from .threads import SqliteThreads


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

    def __init__(self, db: Database, saver: SqliteCheckpointer, store: AsyncSqliteStore, resources: AsyncExitStack) -> None:
        self._db = db
        self._resources = resources
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
        cls, path: str | None, *, store_index: dict[str, Any] | None = None, store_ttl: dict[str, Any] | None = None,
        serde: SerializerProtocol | None = None,
    ) -> SqliteStorage:
        """`store_index` and `store_ttl`: LangGraph's store configuration (see `store.py`);
        `serde`: the checkpoints' serializer (LangGraph's default if None).
        Raises `DatabaseInUse` when another server holds the file, `CannotOpen` (naming
        the file) when it cannot be opened; what was opened by then is closed."""
        resources = AsyncExitStack()  # what is open, closed in reverse even when one close raises
        try:
            tmpdir = None
            if path is None:
                tmpdir = tempfile.mkdtemp(prefix="threadloom-")
                resources.callback(shutil.rmtree, tmpdir, ignore_errors=True)
                path = os.path.join(tmpdir, "threadloom.sqlite")
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                lock = DatabaseLock.acquire(path)
                resources.callback(lock.release)
                db = Database(path)
                resources.callback(db.close)
                saver = await SqliteCheckpointer.open(path, serde)
                resources.push_async_callback(saver.close)
                conn = await _connect(path)
                resources.push_async_callback(conn.close)
                store = await open_store(conn, index=store_index, ttl=store_ttl)
                resources.push_async_callback(store.stop_ttl_sweeper)
            except (OSError, sqlite3.Error) as exc:
                raise CannotOpen.of(path, exc) from exc
        except BaseException:
            await resources.aclose()
            raise
        if tmpdir is not None:
            db.conn.execute("PRAGMA synchronous=OFF")
        return cls(db, saver, store, resources)

    def atomic(self) -> AbstractAsyncContextManager[None]:
        return self._db.atomic()

    async def close(self) -> None:
        """Close every connection, in reverse of opening; each even when another fails."""
        await self._resources.aclose()


async def _connect(path: str) -> aiosqlite.Connection:
    """An aiosqlite connection in autocommit mode (the store begins its own transactions);
    it waits for locks on its own thread."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    # WAL with synchronous=NORMAL, as for the records: safe across a process crash; a
    # power loss may lose the last commits.
    await conn.execute("PRAGMA busy_timeout=10000")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn

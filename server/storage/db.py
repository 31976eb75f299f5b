"""The records connection to the SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from protocol.serde import dumps

from .schema import migrate

T = TypeVar("T")


def to_json(value: Any) -> str:
    return dumps(value).decode()


class Database:
    """The records connection. Writes never wait for a lock on the event loop: a busy
    database (LangGraph's store holds transactions across awaits on its own connection)
    is retried after a short asynchronous sleep, so the holder can finish meanwhile."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
            self.conn.execute(f"PRAGMA {pragma}")
        migrate(self.conn)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one write transaction, retrying while another connection writes."""
        delay = 0.0005
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
                continue
            try:
                result = work(self.conn)
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            return result

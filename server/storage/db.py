"""The records connection to the SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from threadloom.protocol.filters import Filter, matches
from threadloom.protocol.serde import dumps, loads

from .schema import migrate

T = TypeVar("T")


def to_json(value: Any) -> str:
    return dumps(value).decode()


def _auth_match(metadata: str | None, filter: str) -> bool:
    return matches(loads(metadata) if metadata else {}, loads(filter))


def auth_condition(column: str, filter: Filter | None) -> tuple[list[str], list[Any]]:
    """SQL conditions keeping the rows whose metadata (`column`, JSON) passes an
    authorization filter (none without one)."""
    return ([f"auth_match({column}, ?)"], [to_json(filter)]) if filter is not None else ([], [])


class Database:
    """The records connection. Writes never wait for a lock on the event loop: a busy
    database (LangGraph's store holds transactions across awaits on its own connection)
    is retried after a short asynchronous sleep, so the holder can finish meanwhile."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.create_function("auth_match", 2, _auth_match, deterministic=True)
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

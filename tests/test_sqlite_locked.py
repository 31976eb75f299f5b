"""A records write that keeps finding the SQLite file locked gives up after a bound and
says so (a 503 with Retry-After), instead of retrying for ever."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from threadloom.protocol.errors import StorageBusy
from threadloom.server.storage.sqlite.db import Database


async def test_a_write_locked_out_past_the_bound_fails_clearly(tmp_path: Path) -> None:
    path = str(tmp_path / "threadloom.sqlite")
    db = Database(path, busy_limit=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
        started = time.monotonic()
        with pytest.raises(StorageBusy, match=r"stayed locked by another writer for 0.2 s") as busy:
            await db.write(lambda conn: conn.execute("INSERT INTO threadloom_schema VALUES (99)"))
        assert 0.2 <= time.monotonic() - started < 2
        assert (busy.value.status, busy.value.headers) == (503, {"Retry-After": "1"})
        holder.execute("ROLLBACK")
        await db.write(lambda conn: conn.execute("INSERT INTO threadloom_schema VALUES (99)"))  # free again: it goes through
    finally:
        holder.close()
        db.conn.close()

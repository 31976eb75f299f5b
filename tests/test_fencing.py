"""A thread's writes are fenced by its lease epoch (`server/storage/postgres/fence.py`):
once another process took the thread (epoch + 1), the old supervisor's writes are
refused and change nothing; the new owner's go through."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from pgtest import PostgresForTests, rows
from threadloom.protocol import clock
from threadloom.protocol.resources import Thread
from threadloom.server.storage.postgres import PostgresStorage
from threadloom.server.storage.postgres.fence import FencedOut


async def test_a_write_after_a_takeover_is_refused(postgres_for_tests: PostgresForTests) -> None:
    db = postgres_for_tests.new_database()
    storage = await PostgresStorage.open(db)
    other = await PostgresStorage.open(db)  # another process on the same database
    try:
        now = clock.now_iso()
        tid = "00000000-0000-4000-8000-000000000001"
        await storage.threads.insert(Thread(thread_id=tid, created_at=now, updated_at=now, state_updated_at=now, metadata={}))
        old, new = storage.cluster(), other.cluster()
        await old.register("http://old")
        await new.register("http://new")

        async def as_old_owner() -> None:  # a supervisor's task: the fence lives in its context
            assert await old.acquire(tid)
            thread = await storage.threads.get(tid)
            assert thread is not None
            await storage.threads.update(msgspec.structs.replace(thread, metadata={"by": "old, before"}))
            # the old owner's lease expires (it was paused), the other process takes over
            rows(db, "UPDATE processes SET expires_at = now() - interval '1 hour' WHERE process_id = ? RETURNING 1",
                 (old.process_id,))
            assert await asyncio.create_task(new.acquire(tid))  # in a task of its own, as its supervisor
            with pytest.raises(FencedOut):
                await storage.threads.update(msgspec.structs.replace(thread, metadata={"by": "old, after"}))

        await asyncio.get_running_loop().create_task(as_old_owner())
        assert rows(db, "SELECT metadata::text FROM threads WHERE thread_id = ?", (tid,)) == [('{"by":"old, before"}',)]
        assert rows(db, "SELECT epoch FROM thread_leases WHERE thread_id = ?", (tid,)) == [(2,)]
    finally:
        await storage.close()
        await other.close()
        postgres_for_tests.drop(db)

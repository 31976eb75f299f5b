"""A thread's writes are fenced by its lease epoch (`server/storage/postgres/fence.py`):
once another process took the thread (epoch + 1), the old supervisor's writes are
refused and change nothing; the new owner's go through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import msgspec
import pytest
from conftest import make_app
from langgraph_sdk import get_client

from pgtest import PostgresForTests, rows
from support import slow, until
from threadloom.protocol import clock
from threadloom.protocol.resources import Run, RunKwargs, Thread
from threadloom.server.storage.postgres import PostgresStorage
from threadloom.server.storage.postgres.fence import FencedOut
from threadloom.server.storage.postgres.leases import PostgresOwnership

GUARD_SECONDS = 30.0  # how long to wait for what must happen: not a timing assertion


@asynccontextmanager
async def processes(
    pg: PostgresForTests, *urls: str
) -> AsyncIterator[tuple[str, list[tuple[PostgresStorage, PostgresOwnership]]]]:
    """A fresh database and, on it, one process per url: its storage, and its membership
    of the cluster, registered as reached at that url."""
    db = pg.new_database()
    members: list[tuple[PostgresStorage, PostgresOwnership]] = []
    try:
        for url in urls:
            storage = await PostgresStorage.open(db)
            members.append((storage, storage.cluster()))
            await storage.cluster().register(url)
        yield db, members
    finally:
        for storage, _ in members:
            await storage.close()
        pg.drop(db)


async def test_a_write_after_a_takeover_is_refused(postgres_for_tests: PostgresForTests) -> None:
    async with processes(postgres_for_tests, "http://old", "http://new") as (db, [(storage, old), (_, new)]):
        now = clock.now_iso()
        tid = "00000000-0000-4000-8000-000000000001"
        await storage.threads.insert(Thread(thread_id=tid, created_at=now, updated_at=now, state_updated_at=now, metadata={}))

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


async def test_a_thread_held_here_is_looked_up_again_once_the_lease_may_have_lapsed(
    postgres_for_tests: PostgresForTests,
) -> None:
    """A process knows the threads it holds without asking the database, but only while
    its lease is valid on its own clock: after a pause past it, another may hold them."""
    async with processes(postgres_for_tests, "http://old", "http://new") as (db, [(storage, old), (_, new)]):
        tid = "00000000-0000-4000-8000-000000000003"
        assert await asyncio.create_task(old.acquire(tid))
        assert await old.owner_url(tid) is None and await new.owner_url(tid) == "http://old"
        # paused past its lease: its own clock says so on waking (`LocalLease`), and
        # meanwhile the other process took the thread over
        old.lease.valid_until = 0.0
        rows(db, "UPDATE processes SET expires_at = now() - interval '1 hour' WHERE process_id = ? RETURNING 1",
             (old.process_id,))
        assert await asyncio.create_task(new.acquire(tid))
        assert await old.owner_url(tid) == "http://new" and await new.owner_url(tid) is None


async def test_a_supervisor_gives_back_only_the_lease_it_holds_and_a_gone_threads_altogether(
    postgres_for_tests: PostgresForTests,
) -> None:
    """A supervisor stopping (reaped) while a newer one of the same thread already took
    the lease again leaves the newer one's lease alone; the lease of a thread that is gone
    is dropped, of one that is not, kept for the next holder."""
    async with processes(postgres_for_tests, "http://here") as (db, [(storage, cluster)]):
        now, kept, gone = clock.now_iso(), "00000000-0000-4000-8000-000000000004", "00000000-0000-4000-8000-000000000005"
        await storage.threads.insert(Thread(thread_id=kept, created_at=now, updated_at=now, state_updated_at=now, metadata={}))
        older, newer = asyncio.Event(), asyncio.Event()

        async def supervisor(tid: str, acquired: asyncio.Event, go: asyncio.Event | None) -> None:
            assert await cluster.acquire(tid)
            acquired.set()
            if go is not None:
                await go.wait()
            await cluster.release(tid)

        go = asyncio.Event()
        old = asyncio.create_task(supervisor(kept, older, go))
        await older.wait()
        await asyncio.create_task(cluster.acquire(kept))  # the newer supervisor, holding on
        go.set()
        await old
        assert rows(db, "SELECT epoch, process_id FROM thread_leases WHERE thread_id = ?", (kept,)) == [
            (2, cluster.process_id)
        ]
        assert await cluster.owner_url(kept) is None  # still held here
        await asyncio.create_task(supervisor(kept, asyncio.Event(), None))
        assert rows(db, "SELECT epoch, process_id FROM thread_leases WHERE thread_id = ?", (kept,)) == [(3, None)]
        await asyncio.create_task(supervisor(gone, newer, None))
        assert rows(db, "SELECT count(*) FROM thread_leases WHERE thread_id = ?", (gone,)) == [(0,)]


async def test_a_process_starting_drops_the_leases_nobody_holds_of_gone_threads(
    postgres_for_tests: PostgresForTests,
) -> None:
    async with processes(postgres_for_tests, "http://alive") as (db, [(storage, alive)]):
        now, kept = clock.now_iso(), "00000000-0000-4000-8000-000000000007"
        await storage.threads.insert(Thread(thread_id=kept, created_at=now, updated_at=now, state_updated_at=now, metadata={}))
        leases = [
            ("released, thread gone", None), (kept, None), ("held, thread not made yet", alive.process_id),
            ("holder gone, thread gone", "a process whose row is gone"),
        ]
        for thread_id, process_id in leases:
            rows(db, "INSERT INTO thread_leases (thread_id, process_id, epoch) VALUES (?, ?, 1) RETURNING 1",
                 (thread_id, process_id))
        starting = await PostgresStorage.open(db)
        try:
            await starting.cluster().register("http://starting")
        finally:
            await starting.close()
        assert sorted(rows(db, "SELECT thread_id FROM thread_leases")) == [(kept,), ("held, thread not made yet",)]


async def test_an_old_holders_write_is_refused_when_its_epoch_comes_back_for_a_new_thread_of_the_id(
    postgres_for_tests: PostgresForTests,
) -> None:
    """A thread deleted and its lease dropped, then made again by another process: the
    new lease starts again at epoch 1, the old holder's epoch too; its fence names its
    process as well, so its write is still refused."""
    async with processes(postgres_for_tests, "http://old", "http://new") as (db, [(storage, old), (_, new)]):
        now, tid = clock.now_iso(), "00000000-0000-4000-8000-000000000006"
        made = Thread(thread_id=tid, created_at=now, updated_at=now, state_updated_at=now, metadata={"by": "old"})

        async def as_old_owner() -> None:
            assert await old.acquire(tid)
            assert await storage.threads.insert(made)
            # meanwhile (the old one paused): the thread is deleted, its lease dropped, and
            # another process makes a thread of the same id
            assert rows(db, "DELETE FROM threads WHERE thread_id = ? RETURNING 1", (tid,)) == [(1,)]
            assert rows(db, "DELETE FROM thread_leases WHERE thread_id = ? RETURNING epoch", (tid,)) == [(1,)]
            assert await asyncio.create_task(new.acquire(tid))
            assert rows(db, "SELECT epoch FROM thread_leases WHERE thread_id = ?", (tid,)) == [(1,)]
            with pytest.raises(FencedOut):
                await storage.threads.insert(made)

        await asyncio.get_running_loop().create_task(as_old_owner())
        assert rows(db, "SELECT count(*) FROM threads WHERE thread_id = ?", (tid,)) == [(0,)]


async def test_a_runs_end_after_a_takeover_writes_neither_the_run_nor_its_thread(
    postgres_for_tests: PostgresForTests,
) -> None:
    """A fenced write of several statements (a run's end: its record and its thread's)
    goes all at once, the check last: refused, it changes neither; before the takeover,
    text of every kind goes through the same way unchanged."""
    async with processes(postgres_for_tests, "http://old", "http://new") as (db, [(storage, old), (_, new)]):
        now, tid = clock.now_iso(), "00000000-0000-4000-8000-000000000002"
        odd = {"quote": "it's", "backslash": "a\\b", "placeholder": "%s %(x)s", "non-ascii": "é 😀"}
        busy = Thread(thread_id=tid, created_at=now, updated_at=now, state_updated_at=now, metadata=odd, status="busy")
        run = Run(run_id="r", thread_id=tid, assistant_id="a", metadata=odd, status="pending", kwargs=RunKwargs(),
                  multitask_strategy="enqueue", created_at=now, updated_at=now)

        async def as_old_owner() -> None:
            assert await old.acquire(tid)
            await storage.runs.begin(busy, run, create_thread=True)
            await storage.runs.start("r", RunKwargs(), attempt=1)
            assert rows(db, "UPDATE thread_leases SET epoch = epoch + 1 WHERE thread_id = ? RETURNING epoch", (tid,)) == [(2,)]
            with pytest.raises(FencedOut):
                await storage.runs.finish(msgspec.structs.replace(busy, status="idle", metadata={}), "r", "success")

        await asyncio.get_running_loop().create_task(as_old_owner())
        written = await storage.threads.get(tid)
        assert written is not None and (written.status, written.metadata) == ("busy", odd)
        assert rows(db, "SELECT status FROM runs WHERE run_id = 'r'") == [("running",)]


async def test_a_run_going_on_after_its_thread_was_taken_over_writes_no_outcome(
    postgres_for_tests: PostgresForTests, aiohttp_server: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """The fence reaches what a supervisor does for a message and what its runs write,
    not only its own start: a run still going on in a process that lost its thread
    (another took the lease: its epoch moved) ends without writing its outcome over the
    new owner's records."""
    db = postgres_for_tests.new_database()
    server = await aiohttp_server(make_app(db=db))
    url = str(server.make_url("")).rstrip("/")
    client = get_client(url=url, api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "slow", input=slow("f", 40, 0.05))  # long past the move below
        await until(lambda: _status(client, tid, run["run_id"], "running"))
        assert rows(db, "UPDATE thread_leases SET epoch = epoch + 1 WHERE thread_id = ? RETURNING epoch", (tid,)) == [(2,)]
        await asyncio.wait_for(_stream_ends(url, tid, run["run_id"]), GUARD_SECONDS)
        assert rows(db, "SELECT status FROM runs WHERE run_id = ?", (run["run_id"],)) == [("running",)]
        assert rows(db, "SELECT status FROM threads WHERE thread_id = ?", (tid,)) == [("busy",)]
        refused = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], FencedOut)]
        assert refused, "the outcome was not refused by the fence"
    finally:
        await client.http.client.aclose()
        await server.close()
        postgres_for_tests.drop(db)


async def _status(client: Any, tid: str, run_id: str, status: str) -> bool:
    return bool((await client.runs.get(tid, run_id))["status"] == status)


async def _stream_ends(url: str, tid: str, run_id: str) -> None:
    """The run's stream, read to its end (raw: the SDK would reconnect to a run whose
    record still says it runs)."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/threads/{tid}/runs/{run_id}/stream") as resp:
        assert resp.status == 200
        await resp.read()

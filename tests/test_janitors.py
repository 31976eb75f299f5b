"""The periodic clean-ups (event log retention, the threads' and the store's TTL sweeps) run
in one process of a cluster (issue 13): the oldest live one, under an advisory lock held
for the sweep (`server/storage/postgres/leases.py::PostgresOwnership.janitor`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pgtest import PostgresForTests, rows
from threadloom.actors.ttl import TtlSweeper
from threadloom.server.storage.postgres import PostgresStorage


async def test_the_oldest_live_process_sweeps_one_at_a_time(postgres_for_tests: PostgresForTests) -> None:
    db = postgres_for_tests.new_database()
    first, second = await PostgresStorage.open(db), await PostgresStorage.open(db)
    try:
        a, b = first.cluster(), second.cluster()
        async with a.janitor("retention") as mine:
            assert mine  # nobody registered (a script's storage): whoever asks sweeps
        await a.register("http://a")
        await b.register("http://b")
        async with a.janitor("retention") as mine_a, b.janitor("retention") as mine_b:
            assert (mine_a, mine_b) == (True, False)
        async with b.janitor("retention") as mine_b:
            assert not mine_b

        # the oldest died (its row expired): the next one takes the turn
        expire = "UPDATE processes SET expires_at = now() - interval '1 second' WHERE process_id = ? RETURNING 1"
        rows(db, expire, (a.process_id,))
        async with b.janitor("retention") as mine_b:
            assert mine_b
            # the first comes back to life while the second sweeps: both see themselves as
            # the oldest for a moment, and the lock keeps the first out until the sweep ends
            rows(db, "UPDATE processes SET expires_at = now() + interval '1 minute' WHERE process_id = ? RETURNING 1",
                 (a.process_id,))
            async with a.janitor("retention") as mine_a:
                assert not mine_a
            async with a.janitor("ttl") as other_sweep:
                assert other_sweep  # each clean-up has its own lock
        async with a.janitor("retention") as mine_a:
            assert mine_a
    finally:
        await first.close()
        await second.close()
        postgres_for_tests.drop(db)


async def test_the_ttl_sweeper_sweeps_only_on_its_turn() -> None:
    turns = [False, True]
    looked: list[str] = []

    @asynccontextmanager
    async def janitor(name: str) -> AsyncIterator[bool]:
        looked.append(name)
        yield turns.pop(0)

    class Threads:
        swept = 0

        async def expired(self, now: str, limit: int) -> list[object]:
            Threads.swept += 1
            return []

    async def expire(thread_id: str, now: str) -> bool:
        return True

    sweeper = TtlSweeper(threads=Threads(), expire=expire, interval_minutes=60, limit=10, janitor=janitor)  # type: ignore[arg-type]
    await sweeper.turn()
    assert Threads.swept == 0
    await sweeper.turn()
    assert (Threads.swept, looked) == (1, ["ttl", "ttl"])

"""A periodic task (cron scheduler, TTL sweeper, stream retention) stops when asked,
also when its call turns the cancellation into an error of its own, as a database driver
does for a query cancelled in flight: a server's shutdown then never waits for the
period (minutes) to run out."""

from __future__ import annotations

import asyncio

from threadloom.actors.periodic import Periodic


async def test_a_periodic_task_stops_even_when_its_call_swallows_the_cancellation() -> None:
    entered = asyncio.Event()

    async def tick() -> None:
        entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("canceling statement due to user request") from None

    periodic = Periodic("sweeper", tick, 3600)
    periodic.start()
    await entered.wait()
    stopping = asyncio.create_task(periodic.stop())
    done, _ = await asyncio.wait([stopping], timeout=10)
    assert done, "still waiting for the next period"


async def test_a_periodic_task_that_waits_first_stops_before_its_first_call() -> None:
    calls: list[int] = []

    async def tick() -> None:
        calls.append(1)

    periodic = Periodic("retention", tick, 3600, wait_first=True)
    periodic.start()
    await asyncio.sleep(0)
    stopping = asyncio.create_task(periodic.stop())
    done, _ = await asyncio.wait([stopping], timeout=10)
    assert done and calls == []

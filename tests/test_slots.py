"""The global run slots: the most urgent waiting run gets the next free slot, FIFO among
equals, nobody is preempted, and a waiter that gives up frees nothing it did not hold."""

from __future__ import annotations

import asyncio

from threadloom.actors.slots import RunSlots


async def _run(slots: RunSlots, name: str, priority: int, order: list[str], gate: asyncio.Event) -> None:
    async with slots.held(priority):
        order.append(name)
        await gate.wait()


async def _until(check: object) -> None:
    async with asyncio.timeout(10):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0)


async def test_the_most_urgent_waiter_runs_next_and_equals_keep_their_order() -> None:
    slots, order, gate = RunSlots(1), [], asyncio.Event()
    holder = asyncio.create_task(_run(slots, "holder", 5, order, gate))
    await _until(lambda: order == ["holder"])
    waiters = [asyncio.create_task(_run(slots, name, p, order, gate))
               for name, p in [("a0", 0), ("b3", 3), ("c-5", -5), ("d0", 0), ("e-5", -5)]]
    await _until(lambda: slots.waiting == 5)
    gate.set()  # every run ends as soon as it starts: the slot passes down the queue
    async with asyncio.timeout(10):
        await asyncio.gather(holder, *waiters)
    assert order == ["holder", "c-5", "e-5", "a0", "d0", "b3"]
    assert slots.waiting == 0


async def test_a_waiter_that_gives_up_leaves_the_queue_and_the_slot_count_whole() -> None:
    slots, order, gate = RunSlots(1), [], asyncio.Event()
    holder = asyncio.create_task(_run(slots, "holder", 0, order, gate))
    await _until(lambda: order == ["holder"])
    quitter = asyncio.create_task(_run(slots, "quitter", -5, order, gate))
    stayer = asyncio.create_task(_run(slots, "stayer", 5, order, gate))
    await _until(lambda: slots.waiting == 2)
    quitter.cancel()
    await asyncio.gather(quitter, return_exceptions=True)
    assert slots.waiting == 1
    gate.set()
    async with asyncio.timeout(10):
        await asyncio.gather(holder, stayer)
    assert order == ["holder", "stayer"]
    async with asyncio.timeout(10), slots.held():  # the one slot is free again
        pass


async def test_a_waiter_cancelled_as_it_is_handed_the_slot_passes_it_on() -> None:
    slots, order, gate = RunSlots(1), [], asyncio.Event()
    gate.set()
    holding = slots.held()
    await holding.__aenter__()
    first = asyncio.create_task(_run(slots, "first", 0, order, gate))
    second = asyncio.create_task(_run(slots, "second", 0, order, gate))
    await _until(lambda: slots.waiting == 2)
    await holding.__aexit__(None, None, None)  # the slot is handed to `first`, which has not run yet
    first.cancel()  # ... and is cancelled before it could
    async with asyncio.timeout(10):
        await asyncio.gather(first, second, return_exceptions=True)
    assert order == ["second"] and first.cancelled()
    async with asyncio.timeout(10), slots.held():  # and the slot is free again
        pass


async def test_several_slots_run_at_once_and_none_is_taken_back() -> None:
    slots, order, gate = RunSlots(2), [], asyncio.Event()
    low = [asyncio.create_task(_run(slots, f"low{i}", 5, order, gate)) for i in range(2)]
    await _until(lambda: len(order) == 2)
    urgent = asyncio.create_task(_run(slots, "urgent", -5, order, gate))
    await _until(lambda: slots.waiting == 1)
    assert order == ["low0", "low1"]  # the urgent one waits: running runs keep their slots
    gate.set()
    async with asyncio.timeout(10):
        await asyncio.gather(*low, urgent)
    assert order[2] == "urgent"

"""Requests start their work a few per pass of the event loop (`server/pacing.py`)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from threadloom.server.pacing import Pacer


class Passes:
    """Counts the passes of the running loop (a callback that schedules itself runs
    once per pass)."""

    def __init__(self) -> None:
        self.count = 0
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def test_a_burst_starts_a_few_per_pass_in_arrival_order() -> None:
    pacer, passes = Pacer(per_pass=4), Passes()
    started: list[tuple[int, int]] = []

    async def request(i: int) -> None:
        await pacer.turn()
        started.append((i, passes.count))

    await asyncio.gather(*(request(i) for i in range(30)))
    passes.stop()
    assert [i for i, _ in started] == list(range(30))
    per_pass = Counter(at for _, at in started)
    assert max(per_pass.values()) <= 4 and len(per_pass) >= 30 // 4


def test_requests_that_come_a_few_at_a_time_never_wait() -> None:
    async def main() -> None:
        pacer = Pacer(per_pass=2)
        for _ in range(2):  # one pass: no await between them
            with pytest.raises(StopIteration):
                pacer.turn().send(None)  # returned without suspending
        third = pacer.turn()
        assert third.send(None) is not None  # suspended: the pass is full
        await asyncio.sleep(0)  # the next pass
        await asyncio.sleep(0)
        with pytest.raises(StopIteration):
            third.send(None)

    asyncio.run(main())


async def test_a_request_that_goes_away_while_waiting_leaves_the_line() -> None:
    pacer = Pacer(per_pass=1)
    requests = [asyncio.create_task(pacer.turn()) for _ in range(4)]
    await asyncio.sleep(0)  # the first is let in, the others wait
    assert [r.done() for r in requests] == [True, False, False, False]
    requests[2].cancel()
    await asyncio.gather(requests[1], requests[3])
    assert requests[2].cancelled()

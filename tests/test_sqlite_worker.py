"""The thread that runs the SQLite saver's and the search reader's calls for the event
loop (`server/storage/sqlite/worker.py`): in order, in the caller's context, with the
caller's errors, and past a caller that stopped waiting."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
from collections.abc import Iterator

import pytest

from threadloom.server.storage.sqlite.worker import Worker

WHO = contextvars.ContextVar("who", default="nobody")


@pytest.fixture
def worker() -> Iterator[Worker]:
    worker = Worker("test-worker")
    yield worker
    worker.shutdown()


async def test_calls_run_off_the_loop_in_the_order_they_were_made(worker: Worker) -> None:
    done: list[int] = []
    threads: set[str] = set()

    def work(i: int) -> int:
        threads.add(threading.current_thread().name)
        done.append(i)
        return i * 10

    results = await asyncio.gather(*(worker.call(work, i) for i in range(50)))
    assert results == [i * 10 for i in range(50)]
    assert done == list(range(50))
    assert threads == {"test-worker"}


async def test_a_call_sees_the_callers_context_variables(worker: Worker) -> None:
    async def as_(who: str) -> str:
        WHO.set(who)
        return await worker.call(WHO.get)

    assert await asyncio.gather(as_("ann"), as_("bob")) == ["ann", "bob"]
    assert WHO.get() == "nobody"


async def test_an_error_reaches_the_caller_and_the_worker_goes_on(worker: Worker) -> None:
    def fail() -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        await worker.call(fail)
    assert await asyncio.wait_for(worker.call(lambda: "still serving"), 10) == "still serving"


async def test_a_caller_that_stops_waiting_does_not_stop_the_call_nor_the_next(worker: Worker) -> None:
    release, done = threading.Event(), threading.Event()

    def slow() -> str:
        release.wait(10)
        done.set()
        return "late"

    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda loop, context: errors.append(context))
    waiting = asyncio.ensure_future(worker.call(slow))
    await asyncio.sleep(0)
    waiting.cancel()
    release.set()
    assert await asyncio.wait_for(worker.call(lambda: "next"), 10) == "next"  # the worker lives on
    assert done.is_set() and waiting.cancelled()
    assert errors == []  # the late result was dropped, not set on the cancelled future


async def test_shutdown_returns_once_the_calls_made_before_it_are_done(worker: Worker) -> None:
    done: list[int] = []
    pending = [worker.call(done.append, i) for i in range(5)]
    worker.shutdown()
    assert done == [0, 1, 2, 3, 4]
    await asyncio.gather(*pending)


async def test_a_worker_nobody_shut_down_ends_its_thread_once_collected() -> None:
    worker = Worker("test-forgotten")
    assert await worker.call(lambda: 1) == 1
    thread = worker._thread
    del worker
    gc.collect()
    thread.join(10)
    assert not thread.is_alive()

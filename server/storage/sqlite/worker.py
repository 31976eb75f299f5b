"""One thread that runs blocking calls for the event loop, in the order they were made.

`loop.run_in_executor` on a one-worker pool does the same through two futures chained
across the threads (a `concurrent.futures.Future`, with its lock and condition variable,
copied into an asyncio one when it settles): on the 2-core development machine 65–72 µs
of CPU per call against 50 µs here, and a run makes several (each checkpoint read and
write). The worker takes calls off a `SimpleQueue` and settles the caller's asyncio future
directly, on the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# a call: the loop and future to settle, the caller's context, the function, its arguments
_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[..., Any], tuple[Any, ...]]


class Worker:
    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        # a daemon: a process that exits without `shutdown` is not held up by it (what it
        # was writing is one SQLite transaction, rolled back when it is cut short); the
        # thread holds the queue, not the worker, and ends once the worker is collected
        self._thread = threading.Thread(target=_serve, args=(self._calls,), name=name, daemon=True)
        self._thread.start()
        weakref.finalize(self, self._calls.put, None)

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`fn(*args)` on the worker, in the caller's context (its context variables), after
        the calls made before it. Cancelling the future does not stop a call begun."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, future, contextvars.copy_context(), fn, args))
        return future

    def shutdown(self) -> None:
        """Returns once the calls made before it are done."""
        if self._thread.is_alive():
            self._calls.put(None)
            self._thread.join()


def _serve(calls: queue.SimpleQueue[_Call | None]) -> None:
    while (call := calls.get()) is not None:
        loop, future, context, fn, args = call
        try:
            result, error = context.run(fn, *args), None
        except BaseException as exc:  # handed to the caller, whatever it is
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(_settle, future, result, error)
        except RuntimeError:  # the loop is closed: nobody waits for this any more
            pass


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)

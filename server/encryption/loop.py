"""An event loop on a thread of its own, for calling the project's async handlers from
synchronous code: LangGraph's serializer API (`dumps_typed`/`loads_typed`) is
synchronous, and is called on the savers' worker threads (SQLite) or on the server's
event loop itself (a saver's async methods). Blocking the caller on a coroutine that
runs on the server's loop would deadlock in the second case; on this loop it cannot.

The blob handlers therefore run on this loop, not the server's: one they call must not
use objects bound to the server's loop (an HTTP client created there), and while one
runs for a call made on the server's loop, that loop waits for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class HandlerLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="encryption", daemon=True)
        self._thread.start()

    def call(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable` on this loop and wait for its result (from any other thread)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("HandlerLoop.call from a handler: it would wait for itself")

        async def wait() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

"""The supervisors of all threads: spawned on first use, reaped when idle for a while."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .execution import RunExecution
from .supervisor import ThreadSupervisor
from .threaddeps import ThreadDeps


class SupervisorRegistry:
    def __init__(self, deps: ThreadDeps, *, idle_seconds: float = 30.0) -> None:
        self._deps = deps
        self._idle_seconds = idle_seconds
        self._actors: dict[str, ThreadSupervisor] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._reaping: set[asyncio.Task[None]] = set()
        self._watched: Counter[str] = Counter()

    def get(self, thread_id: str, *, minted: bool = False) -> ThreadSupervisor:
        """The thread's supervisor. Looking it up and sending to it happen in one step of
        the event loop, so a message never reaches a supervisor that is being reaped.
        `minted`: the id was just minted here (`ThreadSupervisor`)."""
        actor = self._actors.get(thread_id)
        if actor is None or actor.stopped:  # stopped: its start failed; the next one tries again
            actor = self._actors[thread_id] = ThreadSupervisor(thread_id, self._deps, on_idle=self.idle, minted=minted)
            actor.start()
        return actor

    @asynccontextmanager
    async def watch(self, thread_id: str) -> AsyncIterator[bool]:
        """Keep the thread's supervisor, and so its ownership in a cluster, while a stream
        of the thread is open here: the runs made on it later, from any process, are then
        sent to this one and reach the stream. Yields whether this process supervises the
        thread (False: another process took it first)."""
        self._watched[thread_id] += 1
        try:
            actor = self.get(thread_id)
            await actor.started()
            yield not actor.stopped
        finally:
            self._watched[thread_id] -= 1
            if not self._watched[thread_id]:
                del self._watched[thread_id]
                kept = self._actors.get(thread_id)
                if kept is not None and not kept.busy:
                    self.idle(kept)

    def executions(self) -> list[RunExecution]:
        """The runs executing now (waiting for a slot included), one at most per thread."""
        return [a.current for a in self._actors.values() if a.current is not None]

    def run_counts(self) -> tuple[int, int]:
        """(pending, running) across all threads; a run waiting for a slot is pending."""
        pending = running = 0
        for actor in self._actors.values():
            pending += len(actor.queue)
            if actor.current is not None:
                running += actor.current.holds_slot
                pending += not actor.current.holds_slot
        return pending, running

    def __len__(self) -> int:
        return len(self._actors)

    def idle(self, actor: ThreadSupervisor) -> None:
        """The supervisor has nothing to do: reap it unless it gets work within a while."""
        previous = self._timers.pop(actor.thread_id, None)
        if previous is not None:
            previous.cancel()
        self._timers[actor.thread_id] = asyncio.get_running_loop().call_later(self._idle_seconds, self._reap, actor)

    def _reap(self, actor: ThreadSupervisor) -> None:
        self._timers.pop(actor.thread_id, None)
        if actor.busy or not actor.idle or actor.thread_id in self._watched or self._actors.get(actor.thread_id) is not actor:
            return
        del self._actors[actor.thread_id]
        task = asyncio.get_running_loop().create_task(actor.stop())
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        actors, self._actors, self._timers = list(self._actors.values()), {}, {}
        await asyncio.gather(*(a.stop() for a in actors), *self._reaping, return_exceptions=True)

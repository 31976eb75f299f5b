"""What the runtime is doing, for `/metrics`: runs waiting and running, runs finished by
outcome, live streams and their subscribers, threads with a supervisor.

The supervisors report each run as it is queued, starts and finishes (by run id, so a
report that comes twice counts once); the rest is read off the runtime when asked.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from .runtime import Runtime


class MetricsSnapshot(msgspec.Struct, kw_only=True):
    runs_pending: int  # queued, or waiting for a free slot
    runs_running: int  # holding a slot
    run_slots: int  # runs that may execute at once
    runs_finished: dict[str, int]  # by outcome: success, error, interrupted, rollback, …
    streams_live: int  # event logs of runs not finished yet
    stream_subscribers: int  # readers of event logs (SSE clients, joiners, /wait)
    thread_supervisors: int  # threads with a supervisor in memory


class Metrics:
    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._running: set[str] = set()
        self._finished: Counter[str] = Counter()

    def run_queued(self, run_id: str) -> None:
        self._pending.add(run_id)

    def run_started(self, run_id: str) -> None:
        self._pending.discard(run_id)
        self._running.add(run_id)

    def run_finished(self, run_id: str, outcome: str) -> None:
        """The run is over (`outcome` is its final status, or `rollback`/`requeue`)."""
        if run_id in self._pending or run_id in self._running:
            self._finished[outcome] += 1
        self._pending.discard(run_id)
        self._running.discard(run_id)

    def snapshot(self, runtime: Runtime) -> MetricsSnapshot:
        return MetricsSnapshot(
            runs_pending=len(self._pending),
            runs_running=len(self._running),
            run_slots=runtime.settings.jobs,
            runs_finished=dict(sorted(self._finished.items())),
            streams_live=runtime.streams.live,
            stream_subscribers=runtime.streams.subscribers,
            thread_supervisors=len(runtime.supervisors),
        )

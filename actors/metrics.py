"""What the runtime is doing, for `/metrics`: runs waiting and running, runs finished by
outcome, live streams and their subscribers, threads with a supervisor.

The supervisors report each run as it ends; pending and running runs are counted off the
supervisors' own queues when asked, so the two can never disagree.
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
    """Counts finished runs by outcome; everything else is read off the runtime."""

    def __init__(self) -> None:
        self._finished: Counter[str] = Counter()

    def run_finished(self, outcome: str) -> None:
        """A run is over: `outcome` is its final status, or `rollback`/`requeue`."""
        self._finished[outcome] += 1

    def snapshot(self, runtime: Runtime) -> MetricsSnapshot:
        pending, running = runtime.supervisors.run_counts()
        return MetricsSnapshot(
            runs_pending=pending,
            runs_running=running,
            run_slots=runtime.settings.jobs,
            runs_finished=dict(sorted(self._finished.items())),
            streams_live=runtime.streams.live,
            stream_subscribers=runtime.streams.subscribers,
            thread_supervisors=len(runtime.supervisors),
        )

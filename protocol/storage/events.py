"""The persisted event logs of resumable runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

StoredEvent = tuple[int, str, bytes]  # (seq, event name, data)
# each run's events to store: tuples whose first three items are (seq, name, data), in
# seq order (the runtime's own event records, whatever else they carry)
EventBatch = Mapping[str, Sequence[tuple[Any, ...]]]


class RunEventStore(Protocol):
    """A log goes when its run is deleted."""

    async def append(self, events: EventBatch, *, heads: dict[str, int], keep: int) -> None:
        """Add each run's events and move each run's log head up to
        `heads[run_id]` (the last seq it numbered, stored or not: a log does not store
        what a replay leaves out), in one transaction; each run's log then keeps only the
        events of its last `keep` seqs."""
    async def read(self, run_id: str, *, after: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events of the run with seq above `after`, in order."""
    async def bounds(self, run_id: str) -> tuple[int, int] | None:
        """(the first seq kept, the log's head: the last seq ever numbered) of the run's
        log; the first is head + 1 when every event was evicted. None if the run has no
        log."""
    async def unfinished_heads(self) -> dict[str, int]:
        """The log head for each pending or running run: a resumed run goes on from
        there."""
    async def sweep(self, *, finished_before: datetime, keep_runs: int) -> int:
        """Evict the events of runs that finished before `finished_before` (an aware
        datetime) or are not among the `keep_runs` most recently finished (their logs
        remember their last seq), and drop logs whose run is gone. Returns how many logs
        lost events."""

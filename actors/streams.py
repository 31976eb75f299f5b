"""The event logs of live runs, and of finished resumable runs for a while after."""

from __future__ import annotations

from collections import OrderedDict

from .eventlog import RunStream


class StreamRegistry:
    def __init__(self, *, buffer: int, resumable_capacity: int, keep_finished: int) -> None:
        self._buffer = buffer
        self._resumable_capacity = resumable_capacity
        self._keep_finished = keep_finished
        self._live: dict[str, RunStream] = {}
        self._finished: OrderedDict[str, RunStream] = OrderedDict()

    def open(self, run_id: str, *, resumable: bool) -> RunStream:
        capacity = self._resumable_capacity if resumable else self._buffer
        stream = self._live[run_id] = RunStream(run_id, capacity=capacity, resumable=resumable)
        return stream

    def get(self, run_id: str) -> RunStream | None:
        return self._live.get(run_id) or self._finished.get(run_id)

    def finished(self, run_id: str) -> None:
        stream = self._live.pop(run_id, None)
        if stream is not None and stream.resumable:
            self._finished[run_id] = stream
            while len(self._finished) > self._keep_finished:
                self._finished.popitem(last=False)

    @property
    def live(self) -> int:
        return len(self._live)

"""The event logs of live runs (and of finished resumable runs for a while after), and
of threads: a thread's log carries the events of every run on it plus thread-level
events (`state_update`, `run_done`), for `GET /threads/{id}/stream`."""

from __future__ import annotations

from collections import OrderedDict

from .eventlog import RunStream


class StreamRegistry:
    def __init__(self, *, buffer: int, resumable_capacity: int, keep_finished: int, keep_threads: int = 1_000) -> None:
        self._buffer = buffer
        self._resumable_capacity = resumable_capacity
        self._keep_finished = keep_finished
        self._keep_threads = keep_threads
        self._live: dict[str, RunStream] = {}
        self._finished: OrderedDict[str, RunStream] = OrderedDict()
        self._threads: OrderedDict[str, RunStream] = OrderedDict()

    def thread(self, thread_id: str) -> RunStream:
        """The thread's log, made on first use; only the most recently used are kept."""
        log = self._threads.get(thread_id)
        if log is None:
            log = self._threads[thread_id] = RunStream(thread_id, capacity=self._buffer, resumable=True)
            while len(self._threads) > self._keep_threads:
                self._threads.popitem(last=False)[1].close()
        self._threads.move_to_end(thread_id)
        return log

    def thread_publish(self, thread_id: str, name: str, data: bytes) -> None:
        """Publish to the thread's log if anyone has opened it (nobody listens otherwise)."""
        log = self._threads.get(thread_id)
        if log is not None:
            log.publish(name, data)

    def close_threads(self) -> None:
        for log in self._threads.values():
            log.close()

    def close_all(self) -> None:
        """End every stream (at shutdown): live runs' and threads'."""
        for log in self._live.values():
            log.close()
        self.close_threads()

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

    @property
    def subscribers(self) -> int:
        """Readers of event logs, live or kept for replay."""
        return sum(s.subscribers for s in (*self._live.values(), *self._finished.values()))

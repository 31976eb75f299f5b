"""`/metrics` in Prometheus' text exposition format (prometheus-client writes it), and in
JSON shaped like the official server's (`queue`, `workers`) plus threadloom's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from threadloom.actors.metrics import MetricsSnapshot

from .looplag import LoopLag

CONTENT_TYPE = CONTENT_TYPE_LATEST

_GAUGES = (
    ("runs_pending", "Runs waiting to start: queued on their thread, or for a free slot"),
    ("runs_running", "Runs executing"),
    ("run_slots", "Runs that may execute at once"),
    ("streams_live", "Event logs of runs that have not finished"),
    ("stream_subscribers", "Readers of run event logs (SSE clients, joiners, waiters)"),
    ("thread_supervisors", "Threads with a supervisor in memory"),
)


class _Collector:
    def __init__(self, snapshot: MetricsSnapshot, lag: LoopLag) -> None:
        self._snapshot = snapshot
        self._lag = lag

    def collect(self) -> Iterator[Metric]:
        for name, help_text in _GAUGES:
            yield GaugeMetricFamily(f"threadloom_{name}", help_text, value=getattr(self._snapshot, name))
        finished = CounterMetricFamily("threadloom_runs_finished", "Runs finished since start, by outcome", labels=["outcome"])
        for outcome, count in self._snapshot.runs_finished.items():
            finished.add_metric([outcome], count)
        yield finished
        yield HistogramMetricFamily(
            "threadloom_loop_lag_seconds", "How much later than asked the event loop woke a waiting task",
            buckets=[("+Inf" if bound == float("inf") else repr(bound), count) for bound, count in self._lag.cumulative()],
            sum_value=self._lag.total,
        )


def prometheus_text(snapshot: MetricsSnapshot, lag: LoopLag) -> bytes:
    return generate_latest(_Collector(snapshot, lag))


def metrics_json(snapshot: MetricsSnapshot, lag: LoopLag) -> dict[str, Any]:
    s = snapshot
    return {
        "queue": {"n_pending": s.runs_pending, "n_running": s.runs_running},
        "workers": {"max": s.run_slots, "active": s.runs_running, "available": s.run_slots - s.runs_running},
        "runs": {"finished": s.runs_finished},
        "streams": {"live": s.streams_live, "subscribers": s.stream_subscribers},
        "threads": {"supervised": s.thread_supervisors},
        "loop_lag": {
            "observations": lag.observations, "sum_seconds": lag.total, "max_seconds": lag.max,
            "buckets": {("+Inf" if bound == float("inf") else repr(bound)): count for bound, count in lag.cumulative()},
        },
    }

"""What a thread's supervisor and its runs' executions use, handed to them rather than
reached through the runtime, so that either can be built (and tested) alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from threadloom.protocol.graphsource import GraphSource
from threadloom.protocol.ownership import ThreadOwnership
from threadloom.protocol.priority import PriorityPolicy
from threadloom.protocol.resources import Run
from threadloom.protocol.storage import CheckpointAdmin, RunStore, ThreadStore
from threadloom.protocol.ttl import ThreadTtl
from threadloom.protocol.webhooks import RunEnded

from .contexts import StoredContext, fresh_context
from .metrics import Metrics
from .ownership import SingleProcess
from .slots import RunSlots
from .streams import StreamRegistry


class RunReporter(Protocol):
    def notify(self, ended: RunEnded) -> None:
        """Report how a run ended (its webhook), without waiting."""


@dataclass(frozen=True)
class ThreadDeps:
    threads: ThreadStore
    runs: RunStore
    checkpoints: CheckpointAdmin
    graphs: GraphSource
    streams: StreamRegistry  # the runs' event logs and the threads' streams
    webhooks: RunReporter
    slots: RunSlots  # the global bound on runs executing at once
    metrics: Metrics = field(default_factory=Metrics)
    ownership: ThreadOwnership = field(default_factory=SingleProcess)
    priority: PriorityPolicy | None = None  # the project's run priority (`priority.path`)
    default_ttl: ThreadTtl | None = None  # new threads' TTL (`checkpointer.ttl.default_ttl`)
    max_attempts: int = 3  # starts of one run (crashes mid-run count) before it fails
    api_url: str | None = None  # where this server is reached, for runs recovered at start
    closing: Callable[[], bool] = lambda: False  # the server is shutting down: start no run
    resumed_in: StoredContext[Run] = fresh_context  # what a run picked up after a restart executes in

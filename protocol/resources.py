"""The resources the API returns, field for field in the order the official server sends."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
RunStatus = Literal["pending", "running", "error", "success", "timeout", "interrupted"]
MultitaskStrategy = Literal["reject", "rollback", "interrupt", "enqueue"]  # the order of the official API description
CancelAction = Literal["interrupt", "rollback"]

ACTIVE_RUN_STATUSES = ("pending", "running")


class Thread(msgspec.Struct, kw_only=True):
    """As on the official server, a key is sent once something set it: `error` and
    `interrupts` come with a thread's first state (a run's end, a state update), and a
    copy has no `values` either until then (UNSET: left out of the JSON)."""

    thread_id: str
    created_at: str
    updated_at: str
    state_updated_at: str
    metadata: dict[str, Any] = {}
    status: ThreadStatus = "idle"
    config: dict[str, Any] = {}
    values: Any = None
    error: Any = msgspec.UNSET
    interrupts: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class RunKwargs(msgspec.Struct, kw_only=True):
    input: Any = None
    command: Any = None
    config: dict[str, Any] = {}
    context: dict[str, Any] = {}
    stream_mode: list[str] = msgspec.field(default_factory=lambda: ["values"])
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: str | None = None
    feedback_keys: list[str] | None = None
    temporary: bool = False
    subgraphs: bool = False
    resumable: bool = False
    checkpoint_during: bool | None = None
    durability: str = "async"


class Run(msgspec.Struct, kw_only=True):
    run_id: str
    thread_id: str
    assistant_id: str
    metadata: dict[str, Any]
    status: RunStatus
    kwargs: RunKwargs
    multitask_strategy: MultitaskStrategy
    created_at: str
    updated_at: str
    langsmith_session_name: str | None = None


class Assistant(msgspec.Struct, kw_only=True):
    assistant_id: str
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    name: str
    created_at: str
    updated_at: str
    version: int = 1
    description: str | None = None


class AssistantVersion(msgspec.Struct, kw_only=True):
    """One saved version of an assistant (each create, PATCH and system start adds one)."""

    assistant_id: str
    version: int
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str
    name: str
    description: str | None = None


class CheckpointRef(msgspec.Struct, kw_only=True):
    checkpoint_id: str
    thread_id: str
    checkpoint_ns: str | msgspec.UnsetType = ""  # (unset in a state read at a checkpoint named without it)
    # subgraph checkpoints also name their parents' checkpoints: `{namespace: checkpoint_id}`
    checkpoint_map: dict[str, str] | msgspec.UnsetType = msgspec.UNSET


class ThreadState(msgspec.Struct, kw_only=True):
    values: Any
    next: list[str]
    tasks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    created_at: str | None
    checkpoint: CheckpointRef | None
    parent_checkpoint: CheckpointRef | None
    interrupts: list[dict[str, Any]]
    checkpoint_id: str | None
    parent_checkpoint_id: str | None


EMPTY_STATE = ThreadState(
    values={},
    next=[],
    tasks=[],
    metadata=None,
    created_at=None,
    checkpoint=None,
    parent_checkpoint=None,
    interrupts=[],
    checkpoint_id=None,
    parent_checkpoint_id=None,
)


OnRunCompleted = Literal["delete", "keep"]


class Cron(msgspec.Struct, kw_only=True):
    cron_id: str
    assistant_id: str
    thread_id: str | None  # None: stateless, a new thread each fire
    user_id: str | None
    end_time: str | None
    schedule: str
    timezone: str | None
    payload: dict[str, Any]  # the run body each fire submits
    next_run_date: str | None  # None: the cron will not fire again
    metadata: dict[str, Any]
    on_run_completed: OnRunCompleted | None  # stateless crons only
    enabled: bool
    created_at: str
    updated_at: str

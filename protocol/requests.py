"""Request bodies. Decoding one of these is the validation: wrong types and bad enum
values become a 422 naming the field; unknown fields are accepted and ignored, as the
official server does."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from .errors import Unprocessable
from .resources import CancelAction, MultitaskStrategy, OnRunCompleted, ThreadStatus

STREAM_MODES = frozenset(
    {"values", "updates", "messages", "messages-tuple", "custom", "debug", "tasks", "checkpoints", "events"}
)


class Command(msgspec.Struct, kw_only=True, omit_defaults=True):
    update: Any = None
    resume: Any = None
    goto: Any = None


class RunCreate(msgspec.Struct, kw_only=True):
    assistant_id: str
    input: Any = None
    command: Command | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None
    checkpoint_during: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None
    webhook: str | None = None
    feedback_keys: list[str] | None = None
    stream_mode: str | list[str] | None = None
    stream_subgraphs: bool | None = False
    stream_resumable: bool | None = False
    multitask_strategy: MultitaskStrategy | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    on_completion: Literal["delete", "keep"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    after_seconds: float | None = None
    langsmith_tracer: dict[str, Any] | None = None

    def stream_modes(self) -> list[str]:
        modes = [self.stream_mode] if isinstance(self.stream_mode, str) else list(self.stream_mode or [])
        for mode in modes:
            if mode not in STREAM_MODES:
                raise Unprocessable(f"Invalid stream_mode {mode!r}: expected one of {sorted(STREAM_MODES)}")
        return list(dict.fromkeys(modes)) or ["values"]


class ThreadCreate(msgspec.Struct, kw_only=True):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    ttl: Any = None
    supersteps: list[Any] | None = None
    graph_id: str | None = None


class ThreadPatch(msgspec.Struct, kw_only=True):
    metadata: dict[str, Any] | None = None
    ttl: Any = None


class ThreadCount(msgspec.Struct, kw_only=True):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None


ThreadSortBy = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]


class ThreadSearch(ThreadCount, kw_only=True):
    ids: list[str] | None = None
    limit: int = 10
    offset: int = 0
    sort_by: ThreadSortBy | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None
    extract: dict[str, str] | None = None


class ThreadPrune(msgspec.Struct, kw_only=True):
    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] | None = None


class HistoryRequest(msgspec.Struct, kw_only=True):
    limit: int = 1
    before: str | dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


class StateAtCheckpoint(msgspec.Struct, kw_only=True):
    checkpoint: dict[str, Any]
    subgraphs: bool | None = None


class CheckpointSpec(msgspec.Struct, kw_only=True):
    """A checkpoint a request names. Its thread is always the one in the path."""

    checkpoint_ns: str | None | msgspec.UnsetType = msgspec.UNSET  # (a state read says whether it was given)
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None

    @classmethod
    def parse(cls, value: str | dict[str, Any], field: str) -> CheckpointSpec:
        """From an id, `{"configurable": {...}}` (a RunnableConfig) or the flat fields."""
        if isinstance(value, str):
            return cls(checkpoint_id=value)
        try:
            return msgspec.convert(value.get("configurable", value), type=cls)
        except msgspec.ValidationError as exc:
            raise Unprocessable(f"Invalid checkpoint in `{field}`: {exc}") from None


class AssistantSearch(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    sort_by: Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


def cancel_action(value: str | None) -> CancelAction:
    """The official server treats any unknown action as `interrupt`."""
    return "rollback" if value == "rollback" else "interrupt"


def decode(body: bytes, kind: type[Any]) -> Any:
    """Decode and validate a JSON body; any problem is a 422 that says what and where."""
    if not body.strip():
        body = b"{}"
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise Unprocessable(str(exc)) from None
    except msgspec.DecodeError:
        raise Unprocessable("Invalid JSON in request body") from None
    except RecursionError:
        raise Unprocessable("Invalid JSON in request body: nested too deeply") from None


# crons


class CronCreate(msgspec.Struct, kw_only=True):
    """A cron's own fields. The run fields of the same body (CRON_RUN_FIELDS) become its
    payload and are validated as a RunCreate."""

    schedule: str
    assistant_id: str
    metadata: dict[str, Any] | None = None
    on_run_completed: OnRunCompleted | None = None
    enabled: bool | None = None
    timezone: str | None = None
    end_time: str | None = None


class CronPatch(msgspec.Struct, kw_only=True):
    schedule: str | None = None
    metadata: dict[str, Any] | None = None
    on_run_completed: OnRunCompleted | None = None
    enabled: bool | None = None
    timezone: str | None = None
    end_time: str | None = None  # null clears it (the route tells null from absent)


CRON_RUN_FIELDS = (
    "input", "metadata", "config", "context", "checkpoint_during", "durability", "interrupt_before",
    "interrupt_after", "webhook", "stream_mode", "stream_subgraphs", "stream_resumable", "multitask_strategy",
)
CRON_PATCH_FIELDS = frozenset(CronPatch.__struct_fields__) | frozenset(CRON_RUN_FIELDS)
CronSortBy = Literal["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"]


class CronCount(msgspec.Struct, kw_only=True):
    assistant_id: str | None = None
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None


class CronSearch(CronCount, kw_only=True):
    enabled: bool | None = None
    limit: int = 10
    offset: int = 0
    sort_by: CronSortBy | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


def check_int64(value: Any, field: str) -> None:
    """A 422 if decoded JSON `value` holds an integer past 64 bits (signed), which SQLite
    and orjson cannot take: LangGraph's store and SQLite saver would fail on it."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, int) and not -(2**63) <= item < 2**63:
            raise Unprocessable(f"Invalid {field}: an integer in it does not fit in 64 bits")


def convert(value: Any, kind: type[Any]) -> Any:
    """Validate already decoded JSON as `kind`: a 422 that says what and where."""
    try:
        return msgspec.convert(value, type=kind)
    except msgspec.ValidationError as exc:
        raise Unprocessable(str(exc)) from None


# assistants

Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]
SqlInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]  # what SQLite can hold: a 64-bit integer
Offset = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class RunnableConfigShape(msgspec.Struct, kw_only=True):
    """The typed part of a config an assistant may hold; other keys pass unchecked."""

    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class _WithConfig(msgspec.Struct):
    config: RunnableConfigShape  # so that errors read "at `$.config.tags`"


def check_config(config: dict[str, Any]) -> None:
    """A 422 naming the field if a known config key has the wrong type."""
    convert({"config": config}, _WithConfig)


class AssistantCreate(msgspec.Struct, kw_only=True):
    graph_id: str
    assistant_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    name: str | None = None
    description: str | None = None


class AssistantPatch(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class AssistantCount(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None


class AssistantVersionSearch(msgspec.Struct, kw_only=True):
    metadata: dict[str, Any] | None = None
    limit: Limit = 10
    offset: Offset = 0


class AssistantVersionChange(msgspec.Struct, kw_only=True):
    version: SqlInt

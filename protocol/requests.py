"""Request bodies: the Structs they decode into, annotated with what the wire accepts.

A body is first checked against the JSON Schema written from its Struct (wireschema.py,
bodies.py: the official server's 422 texts), then decoded. In these Structs `None` as a
default means "left out"; a field that also takes JSON null says `NULLABLE`. Unknown
fields are accepted and ignored, as the official server does."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import msgspec

from .errors import Unprocessable
from .resources import CancelAction, MultitaskStrategy, OnRunCompleted, ThreadStatus
from .wireschema import NULLABLE, Inline, Ref, Wire

# shapes of single fields

Uuid = Annotated[str, msgspec.Meta(extra_json_schema={"format": "uuid"})]  # checked by the routes, as there
Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # SQLite's largest integer
SqlInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]  # what SQLite can hold: a 64-bit integer
SortOrder = Literal["asc", "desc"]
Metadata = dict[str, Any]
StreamMode = Literal["values", "messages", "messages-tuple", "tasks", "checkpoints", "updates", "events", "debug", "custom"]
STREAM_MODES = frozenset(get_args(StreamMode))
Durability = Literal["sync", "async", "exit"]
PruneStrategy = Literal["delete", "keep_latest"]  # of a thread: delete it, or its history but the latest
Interrupts = Literal["*"] | list[str]
Webhook = Annotated[str, msgspec.Meta(min_length=1, max_length=65536, extra_json_schema={"format": "uri-reference"})]
# an assistant's UUID, or a graph's id (its system assistant)
AssistantRef = Annotated[str, Wire({"anyOf": [
    {"type": "string", "format": "uuid", "title": "Assistant Id"}, {"type": "string", "title": "Graph Id"},
]})]
DateTime = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]


class Config(msgspec.Struct, kw_only=True):
    """The typed keys of a RunnableConfig; any other key passes as it is."""

    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: dict[str, Any] | None = None


RunConfig = Annotated[dict[str, Any], Inline(Config)]


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


class CheckpointConfig(CheckpointSpec, kw_only=True):
    """A checkpoint, as a body names it (its `thread_id` is not read: the path's is)."""

    thread_id: str | None = None


Checkpoint = Annotated[dict[str, Any], Wire(Ref(CheckpointConfig))]


# runs


class Send(msgspec.Struct, kw_only=True):
    """A message to send to a node."""

    node: str
    input: Any


class Command(msgspec.Struct, kw_only=True, omit_defaults=True):
    update: Annotated[dict[str, Any] | list[Any] | None, NULLABLE] = None
    resume: Any = None
    goto: Annotated[Any, Wire({"anyOf": [
        Ref(Send), {"type": "array", "items": Ref(Send)}, {"type": "string"},
        {"type": "array", "items": {"type": "string"}}, {"type": "null"},
    ]})] = None


class RunCreate(msgspec.Struct, kw_only=True):
    """Payload for creating a run."""

    # which of these fields each run route reads (stateful, stateless, streaming): bodies.py

    assistant_id: AssistantRef
    input: Any = None
    command: Annotated[Command | None, NULLABLE] = None
    metadata: Metadata | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    # `type` beside the `$ref`: a checkpoint that is no object fails here, not in CheckpointConfig
    checkpoint: Annotated[dict[str, Any], Wire({"type": "object", "$ref": Ref(CheckpointConfig)})] | None = None
    # not in the official description, which takes any value (null: left out) and reads it
    checkpoint_id: Annotated[str | None, NULLABLE] = None
    checkpoint_during: bool | None = None
    durability: Durability | None = None
    interrupt_before: Interrupts | None = None
    interrupt_after: Interrupts | None = None
    webhook: Webhook | None = None
    feedback_keys: list[str] | None = None
    stream_mode: list[StreamMode] | StreamMode | None = None
    stream_subgraphs: bool | None = False
    stream_resumable: bool | None = False
    multitask_strategy: MultitaskStrategy | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    on_completion: Literal["delete", "keep"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    after_seconds: float | None = None
    langsmith_tracer: Annotated[dict[str, Any] | None, NULLABLE] = None  # not described there either

    def stream_modes(self) -> list[str]:
        modes = [self.stream_mode] if isinstance(self.stream_mode, str) else list(self.stream_mode or [])
        for mode in modes:
            if mode not in STREAM_MODES:
                raise Unprocessable(f"Invalid stream_mode {mode!r}: expected one of {sorted(STREAM_MODES)}")
        return list(dict.fromkeys(modes)) or ["values"]


# threads


class ThreadTtl(msgspec.Struct, kw_only=True):
    """The time-to-live for the thread."""

    strategy: PruneStrategy = "delete"
    ttl: float | None = None


class ThreadSuperstepUpdate(msgspec.Struct, kw_only=True):
    values: Annotated[list[dict[str, Any]] | dict[str, Any] | None, NULLABLE] = None
    command: Annotated[Command | None, NULLABLE] = None
    as_node: str


class Superstep(msgspec.Struct, kw_only=True):
    updates: list[ThreadSuperstepUpdate]


class ThreadCreate(msgspec.Struct, kw_only=True):
    thread_id: Uuid | None = None
    metadata: Metadata | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    ttl: Annotated[dict[str, Any], Inline(ThreadTtl)] | None = None
    supersteps: list[Annotated[dict[str, Any], Inline(Superstep)]] | None = None
    # threadloom's: sets metadata.graph_id (the SDKs put it there themselves)
    graph_id: Annotated[str | None, NULLABLE] = None


class ThreadPatch(msgspec.Struct, kw_only=True):
    metadata: Metadata | None = None
    ttl: Annotated[dict[str, Any], Inline(ThreadTtl)] | None = None


class ThreadCount(msgspec.Struct, kw_only=True):
    metadata: Metadata | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None


ThreadSortBy = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]
ThreadField = Literal[
    "thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "config", "status", "values", "interrupts",
]


class ThreadSearch(ThreadCount, kw_only=True):
    ids: list[Uuid] | None = None
    limit: Limit = 10
    offset: Offset = 0
    sort_by: ThreadSortBy | None = None
    sort_order: SortOrder | None = None
    select: list[ThreadField] | None = None
    extract: Annotated[dict[str, str], msgspec.Meta(max_length=10)] | None = None


class ThreadPrune(msgspec.Struct, kw_only=True):
    thread_ids: list[Uuid]
    strategy: PruneStrategy = "delete"


class HistoryRequest(msgspec.Struct, kw_only=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    before: Checkpoint | None = None
    metadata: Metadata | None = None
    checkpoint: Checkpoint | None = None


class StateAtCheckpoint(msgspec.Struct, kw_only=True):
    checkpoint: Checkpoint
    subgraphs: bool | None = None


class StateUpdate(msgspec.Struct, kw_only=True):
    values: Annotated[list[Any] | dict[str, Any] | None, NULLABLE] = None
    as_node: str | None = None
    checkpoint: Checkpoint | None = None
    checkpoint_id: Annotated[str | None, NULLABLE] = None  # not described by the official server


AssistantSortBy = Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"]
AssistantField = Literal[
    "assistant_id", "graph_id", "name", "description", "config", "context", "created_at", "updated_at", "metadata",
    "version",
]


class AssistantSearch(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    name: str | None = None
    metadata: Metadata | None = None
    limit: Limit = 10
    offset: Offset = 0
    sort_by: AssistantSortBy | None = None
    sort_order: SortOrder | None = None
    select: list[AssistantField] | None = None


class RunsCancel(msgspec.Struct, kw_only=True):
    """Cancel the runs of a thread by id (`thread_id` and `run_ids`), or all runs with a status."""

    status: Literal["pending", "running", "all"] | None = None
    thread_id: Uuid | None = None
    run_ids: list[Uuid] | None = None


def cancel_action(value: str | None) -> CancelAction:
    """The official server treats any unknown action as `interrupt`."""
    return "rollback" if value == "rollback" else "interrupt"


# crons


class CronRunFields(msgspec.Struct, kw_only=True):
    """The run fields of a cron body (CRON_RUN_FIELDS): the payload each fire submits.
    The route keeps them as sent; they are validated as a RunCreate too."""

    input: list[dict[str, Any]] | dict[str, Any] | None = None
    metadata: Metadata | None = None
    config: RunConfig | None = None
    context: dict[str, Any] | None = None
    webhook: Webhook | None = None
    interrupt_before: Interrupts | None = None
    interrupt_after: Interrupts | None = None
    stream_mode: list[StreamMode] | StreamMode | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: Durability | None = None
    checkpoint_during: bool | None = None
    multitask_strategy: MultitaskStrategy | None = None


class CronCreate(CronRunFields, kw_only=True):
    schedule: str
    assistant_id: AssistantRef
    timezone: str | None = None
    end_time: DateTime | None = None
    on_run_completed: OnRunCompleted | None = None
    enabled: bool | None = None


class CronPatch(CronRunFields, kw_only=True):
    schedule: str | None = None
    timezone: str | None = None
    end_time: Annotated[DateTime | None, NULLABLE] = None  # null clears it (the route tells null from absent)
    on_run_completed: OnRunCompleted | None = None
    enabled: bool | None = None


CRON_RUN_FIELDS = (
    "input", "metadata", "config", "context", "checkpoint_during", "durability", "interrupt_before",
    "interrupt_after", "webhook", "stream_mode", "stream_subgraphs", "stream_resumable", "multitask_strategy",
)
CRON_PATCH_FIELDS = frozenset(CronPatch.__struct_fields__) | frozenset(CRON_RUN_FIELDS)
CronSortBy = Literal["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"]
CronField = Literal[
    "cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule", "timezone", "created_at",
    "updated_at", "user_id", "payload", "next_run_date", "metadata", "enabled",
]


class CronCount(msgspec.Struct, kw_only=True):
    assistant_id: Uuid | None = None
    thread_id: Uuid | None = None
    metadata: Metadata | None = None


class CronSearch(CronCount, kw_only=True):
    enabled: bool | None = None
    limit: Limit = 10
    offset: Offset = 0
    sort_by: CronSortBy | None = None
    sort_order: SortOrder | None = None
    select: list[CronField] | None = None


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

class RunnableConfigShape(Config, kw_only=True):
    """The typed part of a config an assistant may hold; other keys pass unchecked."""

    metadata: dict[str, Any] | None = None


class _WithConfig(msgspec.Struct):
    config: RunnableConfigShape  # so that errors read "at `$.config.tags`"


def check_config(config: dict[str, Any]) -> None:
    """A 422 naming the field if a known config key has the wrong type."""
    convert({"config": config}, _WithConfig)


class AssistantCreate(msgspec.Struct, kw_only=True):
    graph_id: str
    assistant_id: Uuid | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: Metadata | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    name: str | None = None
    description: Annotated[str | None, NULLABLE] = None


class AssistantPatch(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: Metadata | None = None
    name: str | None = None
    description: str | None = None


class AssistantCount(msgspec.Struct, kw_only=True):
    graph_id: str | None = None
    name: str | None = None
    metadata: Metadata | None = None


class AssistantVersionSearch(msgspec.Struct, kw_only=True):
    metadata: Metadata | None = None
    limit: Limit = 10
    offset: Offset = 0


class AssistantVersionChange(msgspec.Struct, kw_only=True):
    version: SqlInt | None = None  # none: "Version None not found", as on the official server


# store

# an expiry LangGraph can compute (now + ttl minutes past year 9999, or before year 1, is an
# OverflowError); a negative one is taken, as on the official server: the item has expired
TtlMinutes = Annotated[float, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
StoreLimit = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class PutItem(msgspec.Struct, kw_only=True):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Annotated[Any, Wire({"oneOf": [
        {"type": "boolean", "enum": [False]}, {"type": "array", "items": {"type": "string"}}, {"type": "null"},
    ]})] = None
    # left out: the store's default_ttl; null: no expiry
    ttl: Annotated[TtlMinutes | None | msgspec.UnsetType, NULLABLE] = msgspec.UNSET


class DeleteItem(msgspec.Struct, kw_only=True):
    namespace: list[str] = []
    key: str


class SearchItems(msgspec.Struct, kw_only=True):
    namespace_prefix: Annotated[list[str] | None, NULLABLE] = []
    filter: Annotated[dict[str, Any] | None, NULLABLE] = None
    limit: StoreLimit = 10
    offset: Offset = 0
    query: Annotated[str | None, NULLABLE] = None
    refresh_ttl: Annotated[bool | None, NULLABLE] = None


class ListNamespaces(msgspec.Struct, kw_only=True):
    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: SqlInt | None = None
    limit: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 100
    offset: Offset = 0

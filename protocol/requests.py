"""Request bodies. Decoding one of these is the validation: wrong types and bad enum
values become a 422 naming the field; unknown fields are accepted and ignored, as the
official server does."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from .errors import Unprocessable
from .resources import CancelAction, MultitaskStrategy, ThreadStatus

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


class ThreadSearch(msgspec.Struct, kw_only=True):
    ids: list[str] | None = None
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: ThreadStatus | None = None
    limit: int = msgspec.field(default=10)
    offset: int = 0


class HistoryRequest(msgspec.Struct, kw_only=True):
    limit: int = 1
    before: str | dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


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

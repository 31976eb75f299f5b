"""LangGraph `StateSnapshot` -> the API's ThreadState."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .resources import CheckpointRef, ThreadState
from .serde import error_repr, to_builtins


def _ref(config: dict[str, Any] | None) -> CheckpointRef | None:
    conf = (config or {}).get("configurable") or {}
    if not conf.get("checkpoint_id"):
        return None
    return CheckpointRef(
        checkpoint_id=conf["checkpoint_id"], thread_id=conf.get("thread_id", ""),
        checkpoint_ns=conf.get("checkpoint_ns") or "", checkpoint_map=conf.get("checkpoint_map", msgspec.UNSET),
    )


def _interrupt(interrupt: Any) -> dict[str, Any]:
    return {"value": to_builtins(interrupt.value), "id": interrupt.id}


def _task(task: Any) -> dict[str, Any]:
    # a subgraph task's `state` is its StateSnapshot (read with subgraphs=True), else the
    # config that locates its checkpoints
    state = task.state
    located = isinstance(state, Mapping)
    checkpoint = to_builtins(state.get("configurable")) if located else None
    nested = thread_state(state) if state is not None and not located else None
    return {
        "id": task.id,
        "name": task.name,
        "path": to_builtins(task.path),
        "error": None if task.error is None else error_repr(task.error),
        "interrupts": [_interrupt(i) for i in task.interrupts],
        "checkpoint": checkpoint,
        "state": nested,
        "result": to_builtins(task.result),
    }


def thread_state(snapshot: Any) -> ThreadState:
    checkpoint = _ref(snapshot.config)
    parent = _ref(snapshot.parent_config)
    return ThreadState(
        values=to_builtins(snapshot.values),
        next=list(snapshot.next),
        tasks=[_task(t) for t in snapshot.tasks],
        metadata=to_builtins(snapshot.metadata),
        created_at=snapshot.created_at,
        checkpoint=checkpoint,
        parent_checkpoint=parent,
        interrupts=[_interrupt(i) for i in snapshot.interrupts],
        checkpoint_id=checkpoint.checkpoint_id if checkpoint else None,
        parent_checkpoint_id=parent.checkpoint_id if parent else None,
    )

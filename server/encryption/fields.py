"""Which parts of each record are encrypted, and which keys in them stay in clear.

As on the official server (`schema.py`): each path names a JSON object of the record
that goes to the JSON handlers as one field; the keys the server itself reads (ids,
LangGraph's internals, the server's own configurable keys) are never given to them.
Unlike the official dev server, thread `values`/`config` and run `kwargs` are encrypted
too (it leaves them in clear)."""

from __future__ import annotations

from typing import Literal

Model = Literal["thread", "run", "assistant", "cron", "store", "checkpoint"]

# (model) -> paths of the JSON objects encrypted, each as the field its last key names
FIELDS: dict[Model, tuple[tuple[str, ...], ...]] = {
    "thread": (("metadata",), ("config", "configurable"), ("values",), ("interrupts",), ("error",)),
    "run": (
        ("metadata",), ("kwargs", "input"), ("kwargs", "command"), ("kwargs", "context"),
        ("kwargs", "config", "configurable"), ("kwargs", "config", "metadata"),
    ),
    "assistant": (("metadata",), ("config", "configurable"), ("context",)),
    "cron": (
        ("metadata",), ("payload", "metadata"), ("payload", "context"), ("payload", "input"),
        ("payload", "config", "configurable"),
    ),
    "store": (("value",),),
}

SYSTEM_KEYS = frozenset({
    "thread_id", "run_id", "assistant_id", "graph_id", "checkpoint_id", "task_id",
    "__after_seconds__", "__request_start_time_ms__",
    "langgraph_version", "langgraph_api_version", "langgraph_plan", "langgraph_host", "langgraph_api_url",
    "langgraph_request_id", "langgraph_auth_user_id", "langgraph_auth_permissions",
})


# what LangGraph itself reads in a checkpoint's metadata
CHECKPOINT_KEYS = frozenset({"source", "step", "parents", "run_attempt", "counters_since_delta_snapshot"})


def is_system_key(model: Model, key: str) -> bool:
    return key in SYSTEM_KEYS or key.startswith("__pregel_") or (model == "checkpoint" and key in CHECKPOINT_KEYS)

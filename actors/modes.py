"""Translating what LangGraph streams into the API's SSE events.

`messages-tuple` is LangGraph's own `messages` mode; the legacy `messages` mode
accumulates token chunks per message id into `messages/metadata|partial|complete`;
`debug` checkpoint payloads gain `checkpoint`/`parent_checkpoint`; subgraph events get
`|ns` suffixes. `events` comes from `astream_events`: the root graph's own
`on_chain_stream` events carry its `astream` chunks, so they are translated like a
plain `astream` instead of being forwarded; every other event is forwarded as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessageChunk, message_chunk_to_message

from threadloom.protocol.serde import dumps

Publish = Callable[[str, bytes], None]

_NATIVE = ("values", "updates", "custom", "debug", "tasks", "checkpoints")


def graph_stream_modes(requested: list[str]) -> list[str]:
    """The LangGraph stream modes to ask for, to serve the requested API modes."""
    modes = [m for m in requested if m in _NATIVE]
    if "messages" in requested or "messages-tuple" in requested:
        modes.append("messages")
    return modes or ["values"]


def replayable(requested: list[str]) -> Callable[[str], bool]:
    """Which events of a resumable run a replay sends (reference §5.7): those whose base
    name (before the `|` of a subgraph namespace) is one of the run's requested modes, or
    `metadata`. `messages-tuple` publishes `messages` events, so it keeps those. Never
    replayed: `error`, `feedback`, and the legacy mode's `messages/metadata|partial|
    complete` (their base names are no requested mode), as on the official server."""
    kept = frozenset(requested) | {"metadata"}
    if "messages-tuple" in kept:
        kept |= {"messages"}

    def keep(name: str) -> bool:
        return name.split("|", 1)[0] in kept

    return keep


def _checkpoint_ref(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """A checkpoint config as the API's Checkpoint object (None without an id)."""
    conf = (config or {}).get("configurable") or {}
    if not conf.get("thread_id") or not conf.get("checkpoint_id"):
        return None
    ref = {"checkpoint_id": conf["checkpoint_id"], "thread_id": conf["thread_id"]}
    if "checkpoint_ns" in conf:
        ref["checkpoint_ns"] = conf["checkpoint_ns"] or ""
    if "checkpoint_map" in conf:
        ref["checkpoint_map"] = conf["checkpoint_map"]
    return ref


def _debug_task(task: dict[str, Any]) -> dict[str, Any]:
    """A subgraph task's `state` (its checkpoint config) is sent as `checkpoint`."""
    state = task.get("state")
    if not isinstance(state, dict) or not state.get("configurable"):
        return task
    rest = {k: v for k, v in task.items() if k != "state"}
    return {**rest, "checkpoint": state["configurable"]}


def _debug_checkpoint(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        **payload,
        "checkpoint": _checkpoint_ref(payload.get("config")),
        "parent_checkpoint": _checkpoint_ref(payload.get("parent_config")),
        "tasks": [_debug_task(t) for t in payload.get("tasks", ())],
    }


class Translator:
    def __init__(self, requested: list[str], publish: Publish) -> None:
        self.requested = frozenset(requested)
        self.publish = publish
        self._tuples = "messages-tuple" in self.requested
        self._legacy = "messages" in self.requested
        self._accumulated: dict[str, BaseMessageChunk] = {}
        self._seen: set[str] = set()
        self.values: Any = None  # the root graph's last `values` chunk: its state so far

    def chunk(self, ns: tuple[str, ...], mode: str, data: Any) -> None:
        """One `astream` chunk (`ns` is empty for the root graph)."""
        suffix = "|" + "|".join(ns) if ns else ""
        if mode == "messages":
            if self._tuples:
                self.publish("messages" + suffix, dumps(data))
            if self._legacy:
                self._legacy_message(*data)
            return
        if mode == "values" and not ns:
            self.values = data
        if mode not in self.requested:
            return
        if mode == "debug" and data.get("type") == "checkpoint":
            data = {**data, "payload": _debug_checkpoint(data["payload"])}
        self.publish(mode + suffix if ns else mode, dumps(data))

    def event(self, event: dict[str, Any]) -> None:
        """One `astream_events` v2 event."""
        if "langsmith:hidden" in (event.get("tags") or ()):
            return
        if event["event"] == "on_chain_stream" and not event.get("parent_ids"):
            chunk = event["data"]["chunk"]
            ns, mode, data = chunk if len(chunk) == 3 else ((), *chunk)
            self.chunk(tuple(ns), mode, data)
        else:
            self.publish("events", dumps(event))

    def _legacy_message(self, message: Any, metadata: dict[str, Any]) -> None:
        """Legacy `messages`: never namespaced; chunks are merged by message id."""
        msg_id = getattr(message, "id", None)
        if msg_id is None:
            return
        if msg_id not in self._seen:
            self._seen.add(msg_id)
            self.publish("messages/metadata", dumps({msg_id: {"metadata": metadata}}))
        if isinstance(message, BaseMessageChunk):
            previous = self._accumulated.get(msg_id)
            merged = message if previous is None else previous + message
            self._accumulated[msg_id] = merged
            self.publish("messages/partial", dumps([message_chunk_to_message(merged)]))
        else:
            self.publish("messages/complete", dumps([message]))

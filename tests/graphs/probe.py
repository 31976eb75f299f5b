"""Graphs that show what the server hands graph code: a node returns the run's config
(`configurable` and `metadata`, JSON values only) and its runtime context in the state.

`probe` declares a `context_schema`, `plain` does not (the server fills the runtime context
from the assistant's config only for graphs that have one). `dynamic` is a factory whose
graph has a node `extra` only when the config's `configurable.extra` is set, so a state
update `as_node="extra"` works only if the graph is built with the thread's assistant config.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.runtime import get_runtime


class State(TypedDict, total=False):  # `configurable` is a reserved channel name
    seen_configurable: dict[str, Any]
    seen_metadata: dict[str, Any]
    seen_context: Any
    extra: str


class Context(TypedDict, total=False):
    model: str
    temperature: float


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """The entries a client can see as JSON (not LangGraph's internal `__pregel_*` objects)."""
    shown = {}
    for key, value in values.items():
        try:
            json.dumps(value)
        except TypeError:
            continue
        shown[key] = value
    return shown


def look(state: State, config: RunnableConfig) -> State:
    context = get_runtime().context
    return {
        "seen_configurable": _jsonable(config.get("configurable", {})),
        "seen_metadata": _jsonable(config.get("metadata", {})),
        "seen_context": dict(context) if isinstance(context, dict) else repr(context),
    }


graph = StateGraph(State, context_schema=Context).add_node("look", look).add_edge(START, "look").compile()
plain = StateGraph(State).add_node("look", look).add_edge(START, "look").compile()


def extra(state: State) -> State:
    return {"extra": "ran"}


def make_dynamic(config: RunnableConfig) -> Any:
    builder = StateGraph(State).add_node("look", look).add_edge(START, "look")
    if config.get("configurable", {}).get("extra"):
        builder = builder.add_node("extra", extra).add_edge("look", "extra")
    return builder.compile()

"""Returns what graph code sees of its run: the JSON-able part of `config["configurable"]`
and `config["metadata"]`, and the runtime context (scripts/compare_official.py compares
these with what the official server gives graph code)."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.runtime import get_runtime


class State(TypedDict, total=False):
    # ("configurable" is a reserved channel name)
    seen_configurable: dict[str, Any]
    seen_metadata: dict[str, Any]
    seen_context: Any


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _visible(mapping: dict[str, Any]) -> dict[str, Any]:
    """Without LangGraph's internal objects (`__pregel_*`: the saver, the send function…)."""
    return {k: v for k, v in mapping.items() if not k.startswith("__pregel_") and _plain(v)}


def look(state: State, config: RunnableConfig) -> State:
    runtime = get_runtime()
    context = runtime.context if _plain(runtime.context) else repr(runtime.context)
    return {
        "seen_configurable": _visible(dict(config.get("configurable", {}))),
        "seen_metadata": _visible(dict(config.get("metadata", {}))),
        "seen_context": context,
    }


graph = StateGraph(State).add_node("look", look).add_edge(START, "look").compile()

"""The streaming graph: one node that emits `count` custom events via the stream writer."""

from __future__ import annotations

from typing import TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    count: int
    sent: int


def emit(state: State) -> State:
    write = get_stream_writer()
    n = state.get("count", 1)
    for i in range(n):
        write({"i": i})
    return {"sent": n}


graph = StateGraph(State).add_node("emit", emit).add_edge(START, "emit").compile()

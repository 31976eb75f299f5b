"""Two nodes that append to a log and count: the simplest stateful graph."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    count: int


def first(state: State) -> State:
    return {"log": ["first"], "count": state.get("count", 0) + 1}


def second(state: State) -> State:
    return {"log": ["second"], "count": state.get("count", 0) + 1}


graph = StateGraph(State).add_node("first", first).add_node("second", second)
graph = graph.add_edge(START, "first").add_edge("first", "second").compile()

"""A parent graph whose node is a compiled subgraph (for `stream_subgraphs`)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    trail: Annotated[list[str], operator.add]


def inner(state: State) -> State:
    return {"trail": ["inner"]}


def outer(state: State) -> State:
    return {"trail": ["outer"]}


child = StateGraph(State).add_node("inner", inner).add_edge(START, "inner").compile()
graph = StateGraph(State).add_node("child", child).add_node("outer", outer)
graph = graph.add_edge(START, "child").add_edge("child", "outer").compile()

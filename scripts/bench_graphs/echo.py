"""The trivial graph for latency and throughput: one node that bumps a counter."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    n: int


def bump(state: State) -> State:
    return {"n": state.get("n", 0) + 1}


graph = StateGraph(State).add_node("bump", bump).add_edge(START, "bump").compile()

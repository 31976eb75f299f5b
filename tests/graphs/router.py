"""A graph with a conditional edge that loops (for the console's drawing): `check` counts an
attempt and routes, through a path map, back to `retry` until `attempts` reach `needed`,
then to `done`."""

from __future__ import annotations

from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    attempts: int
    needed: int
    result: str


def check(state: State) -> State:
    return {"attempts": state.get("attempts", 0) + 1}


def route(state: State) -> Literal["again", "finish"]:
    return "again" if state.get("attempts", 0) < state.get("needed", 2) else "finish"


def retry(state: State) -> State:
    return {}


def done(state: State) -> State:
    return {"result": f"done after {state.get('attempts', 0)}"}


graph = StateGraph(State).add_node("check", check).add_node("retry", retry).add_node("done", done)
graph = graph.add_edge(START, "check").add_conditional_edges("check", route, {"again": "retry", "finish": "done"})
graph = graph.add_edge("retry", "check").add_edge("done", END).compile()

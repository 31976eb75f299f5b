"""Fails with a ValueError (whose message is safe to show) or a masked error."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import START, StateGraph


class Boom(Exception):
    pass


class State(TypedDict, total=False):
    secret: bool


def explode(state: State) -> State:
    if state.get("secret"):
        raise Boom("database password is hunter2")
    raise ValueError("kaboom")


graph = StateGraph(State).add_node("explode", explode).add_edge(START, "explode").compile()

"""Fails with a ValueError (whose message is safe to show) or a masked error; after
`delay` seconds if given (so that a client can join the run before it fails)."""

from __future__ import annotations

import time
from typing import TypedDict

from langgraph.graph import START, StateGraph


class Boom(Exception):
    pass


class State(TypedDict, total=False):
    secret: bool
    delay: float


def explode(state: State) -> State:  # sync: LangGraph runs it in a worker thread
    if state.get("delay"):
        time.sleep(state["delay"])
    if state.get("secret"):
        raise Boom("database password is hunter2")
    raise ValueError("kaboom")


graph = StateGraph(State).add_node("explode", explode).add_edge(START, "explode").compile()

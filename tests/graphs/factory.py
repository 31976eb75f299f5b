"""A graph factory taking `config`: the graph it builds tags its output with a
configurable value, so a test can see the run's config reached the factory."""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    tag: str


def make_graph(config: dict[str, Any]):
    tag = config.get("configurable", {}).get("tag", "none")

    def node(state: State) -> State:
        return {"tag": tag}

    return StateGraph(State).add_node("node", node).add_edge(START, "node").compile()

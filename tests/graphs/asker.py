"""Asks a question with `interrupt()` and records the answer."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    answers: Annotated[list[str], operator.add]
    question: str


def ask(state: State) -> State:
    answer = interrupt(state.get("question", "what is your name?"))
    return {"answers": [answer]}


def thank(state: State) -> State:
    return {"answers": ["thanks"]}


graph = StateGraph(State).add_node("ask", ask).add_node("thank", thank)
graph = graph.add_edge(START, "ask").add_edge("ask", "thank").compile()

"""Writes the input note to the store from synchronous code and reads it back."""

from typing import TypedDict

from langgraph.config import get_store
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    note: str
    recalled: str


def remember(state: State) -> State:
    store = get_store()
    store.put(("memories",), "note", {"text": state["note"]})
    item = store.get(("memories",), "note")
    return {"recalled": item.value["text"] if item else ""}


graph = StateGraph(State).add_node("remember", remember).add_edge(START, "remember").compile()

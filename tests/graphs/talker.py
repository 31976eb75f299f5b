"""Messages for the legacy `messages` stream mode: a subgraph `inner` whose model streams
"Hello there" token by token, then a node `announce` that returns a finished message
directly (no model, so it is never streamed as chunks)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph


async def speak(state: MessagesState) -> dict[str, Any]:
    model = GenericFakeChatModel(messages=iter([AIMessage(content="Hello there")]))
    return {"messages": [await model.ainvoke(state["messages"])]}


def announce(state: MessagesState) -> dict[str, Any]:
    return {"messages": [AIMessage(content="done", id="announce-1")]}


inner = StateGraph(MessagesState).add_node("speak", speak).add_edge(START, "speak").compile()
graph = StateGraph(MessagesState).add_node("inner", inner).add_node("announce", announce)
graph = graph.add_edge(START, "inner").add_edge("inner", "announce").compile()

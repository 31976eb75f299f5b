"""A graph whose node calls this server through the SDK's in-process client (made at
import, as the SDK's documentation shows)."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import START, StateGraph
from langgraph_sdk import get_client

client = get_client()


class State(TypedDict, total=False):
    graphs: list[str]


async def look(state: State) -> State:
    assistants = await client.assistants.search()
    return {"graphs": sorted(a["graph_id"] for a in assistants)}


graph = StateGraph(State).add_node("look", look).add_edge(START, "look").compile()

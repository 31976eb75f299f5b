"""The idle graph: one node that waits `seconds` (holds a run open without work)."""

from __future__ import annotations

import asyncio
from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    seconds: float


async def wait(state: State) -> State:
    await asyncio.sleep(state.get("seconds", 0.0))
    return {}


graph = StateGraph(State).add_node("wait", wait).add_edge(START, "wait").compile()

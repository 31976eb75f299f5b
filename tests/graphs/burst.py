"""Emits `count` custom events of about `size` bytes each, pausing briefly after every
`batch` of them (0: never pauses): a fast producer for slow-subscriber tests."""

from __future__ import annotations

import asyncio
from typing import TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    count: int
    size: int
    batch: int
    sent: int


async def emit(state: State) -> State:
    write = get_stream_writer()
    n, batch, pad = state.get("count", 3), state.get("batch", 0), "x" * state.get("size", 0)
    for i in range(n):
        write({"i": i, "pad": pad})
        if batch and i % batch == batch - 1:
            await asyncio.sleep(0.001)
    return {"sent": n}


graph = StateGraph(State).add_node("emit", emit).add_edge(START, "emit").compile()

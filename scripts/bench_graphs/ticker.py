"""The timed producer: emits `count` custom events at `rate` per second, each carrying the
wall-clock time it was written (`t`), after waiting `start_after` seconds (for a reader
to connect first). Benchmarks measure stream latency with it on one machine."""

from __future__ import annotations

import asyncio
import time
from typing import TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    count: int
    rate: float
    start_after: float
    sent: int


async def tick(state: State) -> State:
    write = get_stream_writer()
    await asyncio.sleep(state.get("start_after", 0.0))
    count, rate = state.get("count", 100), state.get("rate", 1000.0)
    began = time.monotonic()
    for i in range(count):
        if (ahead := began + i / rate - time.monotonic()) > 0:
            await asyncio.sleep(ahead)
        write({"i": i, "t": time.time()})
    return {"sent": count}


graph = StateGraph(State).add_node("tick", tick).add_edge(START, "tick").compile()

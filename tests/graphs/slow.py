"""A loop that appends one item per step, sleeping `delay` seconds in each: a run that
takes a while and writes a checkpoint at every step (for cancel and rollback races)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    items: Annotated[list[str], operator.add]
    steps: int
    delay: float
    tag: str


async def step(state: State) -> State:
    await asyncio.sleep(state.get("delay", 0.05))
    done = sum(1 for i in state.get("items", []) if i.startswith(state.get("tag", "") + ":"))
    return {"items": [f"{state.get('tag', '')}:{done}"]}


def more(state: State) -> str:
    done = sum(1 for i in state.get("items", []) if i.startswith(state.get("tag", "") + ":"))
    return "step" if done < state.get("steps", 3) else END


graph = StateGraph(State).add_node("step", step).add_edge(START, "step").add_conditional_edges("step", more).compile()

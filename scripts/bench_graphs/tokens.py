"""A chat model that streams `count` one-character tokens: the many-event graph for the v3
(thread-centric) streaming benchmark, whose default output is lifecycle, values and
message tokens (custom events are not part of it)."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langgraph.graph import START, MessagesState, StateGraph


class State(MessagesState, total=False):
    count: int


class Tokens(GenericFakeChatModel):
    messages: Any = iter(())
    count: int = 10

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
        for _ in range(self.count):
            await asyncio.sleep(0)  # as a model's tokens arrive: the server gets a turn between them
            yield ChatGenerationChunk(message=AIMessageChunk(content="x"))


async def speak(state: State) -> dict[str, Any]:
    return {"messages": [await Tokens(count=state.get("count", 10)).ainvoke(state["messages"])]}


graph = StateGraph(State).add_node("speak", speak).add_edge(START, "speak").compile()

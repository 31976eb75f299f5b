"""Chat graphs on MessagesState for the browser tests (`useStream`, tests/js/):

* `slow_chat` echoes like `chat` ("You said: <text>", streamed token by token) but sleeps
  `configurable.token_delay` seconds (default 0.2) before each token, so a page can press
  stop or reload while the reply is still streaming;
* `interviewer` asks "What is your name?" with `interrupt()` and, once resumed, answers
  "Nice to meet you, <answer>!"."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import interrupt


class SlowEchoModel(GenericFakeChatModel):
    messages: Any = iter(())
    token_delay: float = 0.2

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
        self.messages = iter([AIMessage(content=f"You said: {messages[-1].text}")])
        async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
            await asyncio.sleep(self.token_delay)
            yield chunk


async def respond(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
    delay = float(config.get("configurable", {}).get("token_delay", 0.2))
    return {"messages": [await SlowEchoModel(token_delay=delay).ainvoke(state["messages"])]}


def ask(state: MessagesState) -> dict[str, Any]:
    name = interrupt({"question": "What is your name?"})
    return {"messages": [AIMessage(content=f"Nice to meet you, {name}!", id=str(uuid.uuid4()))]}


slow_chat = StateGraph(MessagesState).add_node("model", respond).add_edge(START, "model").compile()
interviewer = StateGraph(MessagesState).add_node("ask", ask).add_edge(START, "ask").compile()

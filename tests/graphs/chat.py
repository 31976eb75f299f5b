"""A chat graph whose deterministic fake model streams `You said: <text>` token by token."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph


class EchoModel(GenericFakeChatModel):
    """GenericFakeChatModel streams a message word by word; this one echoes the input."""

    messages: Any = iter(())

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
        self.messages = iter([AIMessage(content=f"You said: {messages[-1].text}")])
        async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
            yield chunk


model = EchoModel()


async def respond(state: MessagesState) -> dict[str, Any]:
    return {"messages": [await model.ainvoke(state["messages"])]}


graph = StateGraph(MessagesState).add_node("model", respond).add_edge(START, "model").compile()

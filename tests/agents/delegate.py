"""An agent that uses another agent of the same server as a tool, over MCP: it lists the
server's tools and calls the one named in its input (`talker`) with its question."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


class State(TypedDict, total=False):
    tool: str
    question: str
    tools: list[str]
    answer: Any


async def delegate(state: State, config: RunnableConfig) -> State:
    server = config["metadata"]["langgraph_api_url"]  # where this run's request reached the server
    async with Client(streamable_http_client(f"{server}/mcp")) as mcp:
        tools = [tool.name for tool in (await mcp.list_tools()).tools]
        result = await mcp.call_tool(state["tool"], {"messages": state["question"]})
    return {"tools": tools, "answer": result.structured_content}


graph = StateGraph(State).add_node("delegate", delegate).add_edge(START, "delegate").compile()

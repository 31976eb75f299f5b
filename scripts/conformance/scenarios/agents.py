"""The assistants as MCP tools and A2A agents: `/mcp`, `/a2a/{assistant_id}` and the cards."""

from __future__ import annotations

from typing import Any

from ..recording import Target
from .base import scenario

TALKER = "172e62f0-786e-5956-b169-628d949f0ed1"  # the system assistants of tests/graphs (uuid5 of the graph id)
ASKER = "7c5865b5-0e10-5c5f-8442-9225c0215d23"
JSON = {"Accept": "application/json, text/event-stream"}


def rpc(method: str, params: Any = None, request_id: int | None = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if request_id is not None:
        message["id"] = request_id
    if params is not None:
        message["params"] = params
    return message


@scenario("mcp: tools")
async def mcp_tools(t: Target) -> None:
    await t.http("initialize", "POST", "/mcp", headers=JSON, json=rpc("initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "conformance", "version": "1"},
    }))
    await t.http("initialized (a notification)", "POST", "/mcp", headers=JSON, json=rpc("notifications/initialized", request_id=None))
    await t.http("ping", "POST", "/mcp", headers=JSON, json=rpc("ping"))
    await t.http("tools/list", "POST", "/mcp", headers=JSON, json=rpc("tools/list"))
    await t.http("tools/call", "POST", "/mcp", headers=JSON, json=rpc("tools/call", {"name": "talker", "arguments": {"messages": "hi"}}))
    await t.http("tools/call, a failing run", "POST", "/mcp", headers=JSON, json=rpc("tools/call", {"name": "failing", "arguments": {}}))
    await t.http("tools/call, unknown tool", "POST", "/mcp", headers=JSON, json=rpc("tools/call", {"name": "nosuch"}))
    await t.http("tools/call, no name", "POST", "/mcp", headers=JSON, json=rpc("tools/call", {}))
    await t.http("unknown method", "POST", "/mcp", headers=JSON, json=rpc("prompts/list"))


@scenario("a2a: cards and errors")
async def a2a_cards_and_errors(t: Target) -> None:
    await t.http("card", "GET", f"/a2a/{TALKER}")
    await t.http("well-known card", "GET", "/.well-known/agent-card.json", params={"assistant_id": TALKER})
    await t.http("GetTask, unknown task", "POST", f"/a2a/{TALKER}", json=rpc("GetTask", {"id": "nope"}))
    await t.http("unknown method", "POST", f"/a2a/{TALKER}", json=rpc("Nope", {}))
    await t.http("tasks/resubscribe", "POST", f"/a2a/{TALKER}", json=rpc("tasks/resubscribe", {"id": "nope"}))
    await t.http("text to a graph without messages", "POST", f"/a2a/{ASKER}", json=rpc("SendMessage", {
        "message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]},
    }))
    await t.http("ListTasks, bad page size", "POST", f"/a2a/{TALKER}", json=rpc("ListTasks", {"pageSize": 0}))

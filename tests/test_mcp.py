"""`/mcp` with the real `mcp` client from PyPI (streamable HTTP): the assistants listed as
tools with their input schemas, called as stateless runs; and the JSON-RPC envelope
refused, never a 500, whatever is sent (raw HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
import mcp_types
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from auth_support import TOKEN_AUTH
from conftest import GRAPHS, MakeServer


def mcp_client(url: str, headers: dict[str, str] | None = None) -> Client:
    http = httpx2.AsyncClient(headers=headers or {}, timeout=30)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


async def post(session: aiohttp.ClientSession, url: str, body: Any, **headers: str) -> tuple[int, Any]:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    async with session.post(f"{url}/mcp", data=data, headers={"Content-Type": "application/json", **headers}) as r:
        text = await r.text()
        return r.status, json.loads(text) if text else None


async def test_the_client_lists_assistants_as_tools(url: str) -> None:
    async with mcp_client(url) as client:
        assert client.server_info is not None and client.server_info.name == "threadloom"
        tools = {t.name: t for t in (await client.list_tools()).tools}
    # graphs whose input has a JSON Schema; TypedDict graphs have none on Python 3.11, as there
    assert {"chat", "talker"} <= set(tools)
    chat = tools["chat"]
    assert chat.title == "chat" and chat.description == "Tool based on the chat assistant"
    # a list of messages is one string for a model to write, and the message classes go
    assert chat.input_schema == {
        "properties": {"messages": {"type": "string", "title": "Messages", "description": "The user message to send to the agent."}},
        "required": ["messages"], "title": "MessagesState", "type": "object",
    }
    assert chat.annotations is not None and chat.annotations.open_world_hint is True
    assert chat.annotations.read_only_hint is False


async def test_calling_a_tool_runs_its_assistant_statelessly(url: str, client: LangGraphClient) -> None:
    async with mcp_client(url) as mcp:
        result = await mcp.call_tool("talker", {"messages": "hello"})
    assert not result.is_error
    text = result.content[0]
    assert isinstance(text, mcp_types.TextContent)
    values = json.loads(text.text)  # JSON, not the official server's Python repr
    assert [m["content"] for m in values["messages"]] == ["hello", "Hello there", "done"]
    assert result.structured_content == values
    assert await client.threads.search() == []  # stateless: its thread is gone


async def test_a_failing_run_is_a_tool_error_and_an_unknown_tool_an_mcp_error(url: str) -> None:
    async with mcp_client(url) as mcp:
        failed = await mcp.call_tool("failing", {})  # callable though unlisted (no input schema)
        assert failed.is_error
        assert isinstance(failed.content[0], mcp_types.TextContent)
        assert failed.content[0].text == "ValueError: kaboom"
        with pytest.raises(MCPError, match="Unknown tool: nosuch"):
            await mcp.call_tool("nosuch", {})


async def test_an_interrupting_graph_returns_its_interrupt(url: str) -> None:
    async with mcp_client(url) as mcp:
        result = await mcp.call_tool("asker", {"question": "name?"})
    assert result.structured_content is not None
    assert result.structured_content["__interrupt__"][0]["value"] == "name?"


async def test_tool_names_are_assistant_names_made_safe(url: str, client: LangGraphClient) -> None:
    made = await client.assistants.create("talker", name="Talker  the Great! (v2)", description="Says hello")
    older = await client.assistants.create("chat", name="twin")
    newer = await client.assistants.create("talker", name="twin")
    async with mcp_client(url) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert tools["Talker_the_Great_v2"].title == "Talker  the Great! (v2)"
        assert tools["Talker_the_Great_v2"].description == "Says hello"
        assert [t for t in tools if t == "twin"] == ["twin"]
        # a name two assistants share calls the newest, the one listed (the official server refuses it)
        result = await mcp.call_tool("twin", {"messages": "hi"})
    assert result.structured_content is not None
    assert [m["content"] for m in result.structured_content["messages"]] == ["hi", "Hello there", "done"]
    assert made and older and newer


async def test_the_envelope_is_checked_and_answered_in_json_rpc(url: str, session: aiohttp.ClientSession) -> None:
    assert await post(session, url, {"jsonrpc": "2.0", "id": 1, "method": "ping"}) == (200, {"jsonrpc": "2.0", "id": 1, "result": {}})
    status, body = await post(session, url, {"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {"protocolVersion": "2025-06-18"}})
    assert status == 200 and body["result"]["protocolVersion"] == "2025-06-18"
    assert body["result"]["capabilities"] == {"tools": {"listChanged": False}}
    status, body = await post(session, url, {"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {"protocolVersion": "1999"}})
    assert body["result"]["protocolVersion"] == "2025-11-25"
    # notifications and responses: accepted, nothing to answer
    assert await post(session, url, {"jsonrpc": "2.0", "method": "notifications/initialized"}) == (202, None)
    assert await post(session, url, {"jsonrpc": "2.0", "id": 7, "result": {}}) == (202, None)
    refused = {
        b"{nope": -32700,
        b"[]": -32600,
        b'{"a":' * 5000 + b"1" + b"}" * 5000: -32700,  # nested past what the decoder reads
        json.dumps([{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(1000)]): -32600,
        b'"ping"': -32600,
        json.dumps({"jsonrpc": "1.0", "id": 1, "method": "ping"}): -32600,
        json.dumps({"id": 1, "method": "ping"}): -32600,
        json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}): -32600,
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": 5}): -32600,
        json.dumps({"jsonrpc": "2.0", "id": 1}): -32600,
    }
    for sent, code in refused.items():
        status, body = await post(session, url, sent)
        assert status == 400 and body["error"]["code"] == code, sent
        assert body["jsonrpc"] == "2.0" and isinstance(body["error"]["message"], str)
    answered = {
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "prompts/list"}): (-32601, "Method not found: prompts/list"),
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": []}): (-32602, "Invalid params: expected an object"),
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}): (-32602, "Unknown tool: None"),
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "chat", "arguments": [1]}}): (
            -32602, "Invalid params: arguments must be an object"),
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": "x"}): (-32602, "Invalid params: expected an object"),
    }
    for sent, (code, message) in answered.items():
        status, body = await post(session, url, sent)
        assert (status, body["error"]) == (200, {"code": code, "message": message}), sent
    status, body = await post(session, url, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, Accept="text/html")
    assert status == 400 and body["error"]["code"] == -32600
    for method in ("GET", "DELETE", "PUT"):
        async with session.request(method, f"{url}/mcp") as response:
            assert response.status == 405


async def test_tools_list_pages_with_a_cursor(url: str, client: LangGraphClient, session: aiohttp.ClientSession) -> None:
    for i in range(100):
        await client.assistants.create("chat", name=f"chat {i}")
    _, first = await post(session, url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert first["result"]["nextCursor"] == "100"
    _, second = await post(session, url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"cursor": "100"}})
    assert "nextCursor" not in second["result"]
    names = [t["name"] for t in first["result"]["tools"] + second["result"]["tools"]]
    assert len(names) == len(set(names)) and {"chat_0", "chat_99", "chat", "talker"} <= set(names)


@pytest.fixture
def token_project(tmp_path: Path) -> Path:
    (tmp_path / "auth.py").write_text(TOKEN_AUTH)
    config = json.loads(GRAPHS.read_text())
    graphs = {k: str(GRAPHS.parent / v.removeprefix("./")) for k, v in config["graphs"].items()}
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": graphs, "auth": {"path": "./auth.py:auth"}}))
    return path


async def test_mcp_needs_credentials_with_custom_auth(make_server: MakeServer, token_project: Path, session: aiohttp.ClientSession) -> None:
    url = await make_server(config=token_project)
    status, _ = await post(session, url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert status == 401
    async with mcp_client(url, {"Authorization": "Bearer ok"}) as mcp:
        assert "chat" in {t.name for t in (await mcp.list_tools()).tools}
        assert not (await mcp.call_tool("counter", {})).is_error


async def test_disable_mcp(make_server: MakeServer, tmp_path: Path, session: aiohttp.ClientSession) -> None:
    config = json.loads(GRAPHS.read_text())
    graphs = {k: str(GRAPHS.parent / v.removeprefix("./")) for k, v in config["graphs"].items()}
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": graphs, "http": {"disable_mcp": True}}))
    url = await make_server(config=tmp_path / "langgraph.json")
    status, _ = await post(session, url, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert status == 404


async def test_a_graph_calls_another_assistant_as_a_tool(make_server: MakeServer, tmp_path: Path) -> None:
    """Agents as tools for other agents: a graph this server runs calls another of its
    assistants through `/mcp` with the `mcp` client (langchain-mcp-adapters would wrap the
    same calls as LangChain tools, but it needs mcp<2 and does not install beside 2.x)."""
    graphs = {"talker": str(GRAPHS.parent / "talker.py") + ":graph",
              "delegate": str(Path(__file__).parent / "agents" / "delegate.py") + ":graph"}
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": graphs}))
    url = await make_server(config=tmp_path / "langgraph.json")
    lg = get_client(url=url, api_key=None)
    values = await lg.runs.wait(None, "delegate", input={"tool": "talker", "question": "hi"})
    await lg.http.client.aclose()
    assert "talker" in values["tools"]
    assert [m["content"] for m in values["answer"]["messages"]] == ["hi", "Hello there", "done"]

"""`/mcp`: the assistants as MCP tools, over streamable HTTP without sessions (reference
v3-mcp-a2a §2). Every POST carries one JSON-RPC message and gets a JSON answer; there is
no server-to-client stream (GET) and no session to end (DELETE): both are 405s.

Where the official server differs, deliberately: a message that is no JSON-RPC request
is answered with a JSON-RPC error object (a 400, as there, but not `{"error": "<text>"}`),
params that are no object are an error rather than a 500, a tool name two assistants
share calls the one `tools/list` shows (not an error), and a result carries the final
state as JSON text and as `structuredContent` (not a Python `repr`).
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web

from threadloom.protocol import jsonrpc, mcp
from threadloom.protocol.jsonrpc import INVALID_PARAMS, MESSAGE, RpcError
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant
from threadloom.protocol.serde import dumps

from ..operations import operation
from . import engine
from .rpc import Method, accepts, answer, call, read

routes = web.RouteTableDef()
log = logging.getLogger("threadloom.agents.mcp")

PAGE = 100  # tools per `tools/list` page
MAX_TOOLS = 1000  # assistants a `tools/call` looks through for its name


def _server_version() -> str:
    try:
        return version("threadloom")
    except PackageNotFoundError:  # a checkout that is not installed
        return "0"


async def _initialize(request: web.Request, message: jsonrpc.Request) -> dict[str, Any]:
    params = jsonrpc.object_params(message)
    return mcp.initialize_result(params.get("protocolVersion"), _server_version())


async def _ping(request: web.Request, message: jsonrpc.Request) -> dict[str, Any]:
    return {}


def _offset(cursor: Any) -> int:
    """A cursor is the offset of the page, as a string (what we hand out) or a number."""
    if isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0:
        return cursor
    return int(cursor) if isinstance(cursor, str) and cursor.isdigit() else 0


async def _tools(request: web.Request, assistants: list[Assistant]) -> list[tuple[Assistant, dict[str, Any]]]:
    """The assistants that make tools, with their tools: the first of each name (they
    come newest first), and only those whose graph has an input schema to show."""
    schemas = engine.Schemas(request)
    named: dict[str, tuple[Assistant, dict[str, Any]]] = {}
    for assistant in assistants:
        name = mcp.tool_name(assistant.name)
        if not name or name in named:
            continue
        try:
            input_schema = (await schemas.of(assistant))["input_schema"]
        except Exception as exc:  # noqa: BLE001 - a graph factory that fails hides its tool, not the others
            log.warning("no tool for assistant %s: its graph could not be made: %r", assistant.assistant_id, exc)
            continue
        if input_schema is not None:
            named[name] = (assistant, mcp.tool(name, assistant.name, assistant.description, input_schema))
    return list(named.values())


async def _list_tools(request: web.Request, message: jsonrpc.Request) -> dict[str, Any]:
    offset = _offset(jsonrpc.object_params(message).get("cursor"))
    page = await engine.assistants(request, offset=offset, limit=PAGE)
    result: dict[str, Any] = {"tools": [tool for _, tool in await _tools(request, page)]}
    if len(page) == PAGE:
        result["nextCursor"] = str(offset + PAGE)
    return result


async def _called(request: web.Request, name: Any) -> Assistant:
    """The assistant a tool name means: the newest of that name, the one `tools/list`
    shows; one without an input schema (not listed) can be called all the same."""
    if isinstance(name, str):
        for assistant in await engine.assistants(request, offset=0, limit=MAX_TOOLS):
            if mcp.tool_name(assistant.name) == name:
                return assistant
    raise RpcError(INVALID_PARAMS, f"Unknown tool: {name}")


async def _call_tool(request: web.Request, message: jsonrpc.Request) -> dict[str, Any]:
    params = jsonrpc.object_params(message)
    arguments, context = params.get("arguments") or {}, params.get("context")
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: arguments must be an object")
    if context is not None and not isinstance(context, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: context must be an object")
    assistant = await _called(request, params.get("name"))
    req = RunCreate(assistant_id=assistant.assistant_id, input=arguments, context=context)
    _, stream = await engine.start(request, None, req)
    outcome = await engine.outcome(stream)
    if isinstance(outcome, dict) and "__error__" in outcome:
        error = outcome["__error__"]
        text = f"{error.get('error')}: {error['message']}" if error.get("message") else str(error.get("error"))
        return mcp.text_result(text, is_error=True)
    values = outcome if outcome is not None else {}
    return mcp.text_result(dumps(values).decode(), structured=values)


METHODS: dict[str, Method] = {
    "initialize": _initialize,
    "ping": _ping,
    "tools/list": _list_tools,
    "tools/call": _call_tool,
}


@routes.post("/mcp")
@operation("MCP (streamable HTTP, stateless): the assistants as tools", body=MESSAGE, response=Any)
async def serve_mcp(request: web.Request) -> web.Response:
    if not accepts(request, "application/json", "text/event-stream"):
        return answer(jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "Accept must include application/json"), status=400)
    try:
        message = await read(request)
    except RpcError as exc:
        return answer(jsonrpc.error_of(exc), status=400)
    if isinstance(message, jsonrpc.Reply) or message.notification:
        return web.Response(status=202)
    return answer(await call(request, message, METHODS))

"""MCP (Model Context Protocol) as `/mcp` speaks it: every assistant is a tool, named
after the assistant, taking the graph's input; a call is a stateless run.

Pure: the names, schemas and result shapes; the route (server/agents/mcp.py) runs them.
"""

from __future__ import annotations

import re
from typing import Any

# what `initialize` agrees to: the version the client asks for if it is one of these,
# else the newest (the client then decides whether it can go on)
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]

TOOL_NAME_MAX = 128
# an agent's run is neither read-only nor idempotent, and a graph may reach anything
TOOL_ANNOTATIONS = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": True}
MESSAGES_AS_TEXT = "The user message to send to the agent."

# LangChain's message classes as pydantic describes them in `$defs`, and the types only
# they use: dropped when a list of messages becomes a string
_MESSAGE_DEFS = frozenset({
    f"{kind}{chunk}" for kind in ("AI", "Human", "Chat", "System", "Function", "Tool") for chunk in ("Message", "MessageChunk")
} | {"AnyMessage", "BaseMessage", "BaseMessageChunk", "RemoveMessage"})
_MESSAGE_ONLY_DEFS = frozenset({
    "ToolCall", "ToolCallChunk", "InvalidToolCall", "UsageMetadata", "InputTokenDetails", "OutputTokenDetails",
})
_WHITESPACE = re.compile(r"\s+")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def initialize_result(requested: Any, server_version: str) -> dict[str, Any]:
    version = requested if requested in PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION
    return {
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": "threadloom", "version": server_version},
    }


def tool_name(assistant_name: str) -> str:
    """An assistant's name as a tool name: whitespace runs become `_`, characters MCP
    does not allow in a name go, and it is cut to 128."""
    return _NOT_IN_NAME.sub("", _WHITESPACE.sub("_", assistant_name))[:TOOL_NAME_MAX]


def tool(name: str, assistant_name: str, description: str | None, input_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "title": assistant_name,
        "description": description or f"Tool based on the {assistant_name} assistant",
        "inputSchema": tool_input_schema(input_schema),
        "annotations": TOOL_ANNOTATIONS,
    }


def _is_message_list(prop: Any, message_defs: set[str]) -> bool:
    if not isinstance(prop, dict) or prop.get("type") != "array":
        return False
    items = prop.get("items")
    if not isinstance(items, dict):
        return False
    refs = [items] + [branch for key in ("oneOf", "anyOf") for branch in items.get(key, []) if isinstance(branch, dict)]
    named = {str(r["$ref"]).rsplit("/", 1)[-1] for r in refs if "$ref" in r}
    return bool(named) and named <= message_defs


def tool_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The graph's input schema for a model to fill in: a list of LangChain messages is
    one string (the user's message; the graph's reducer makes it a human message), and
    the message classes' definitions go, which are long and no model writes well."""
    schema = dict(schema)
    defs = schema.get("$defs")
    message_defs = set(defs) & _MESSAGE_DEFS if isinstance(defs, dict) else set()
    properties = schema.get("properties")
    if message_defs and isinstance(properties, dict):
        schema["properties"] = {
            key: {"type": "string", "title": prop.get("title", key.title()), "description": MESSAGES_AS_TEXT}
            if _is_message_list(prop, message_defs) else prop
            for key, prop in properties.items()
        }
        assert isinstance(defs, dict)
        kept = {k: v for k, v in defs.items() if k not in message_defs and k not in _MESSAGE_ONLY_DEFS}
        if kept:
            schema["$defs"] = kept
        else:
            del schema["$defs"]
    schema.setdefault("type", "object")
    return schema


def text_result(text: str, *, structured: Any = None, is_error: bool = False) -> dict[str, Any]:
    """A `tools/call` result: the text a model reads, and (an object) the same for a program."""
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if isinstance(structured, dict):
        result["structuredContent"] = structured
    if is_error:
        result["isError"] = True
    return result

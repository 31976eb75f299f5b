"""An assistant's A2A agent card (reference v3-mcp-a2a §3.1).

It lists the one JSON-RPC endpoint twice, as A2A 1.0 and as 0.3 (the endpoint answers
both, by method name), and keeps 0.3's top-level `url`, `protocolVersion` and
`preferredTransport`: a 1.0 client picks the 1.0 interface, a 0.3 client reads the
top-level fields."""

from __future__ import annotations

from typing import Any

from .versions import V03, V1

HISTORY_SCOPE_EXTENSION = "https://langchain.com/a2a/extensions/history-scope/v1"
HISTORY_SCOPE_HEADER = "LangGraph-A2A-History-Scope"
DEFAULT_MODES = ["application/json", "text/plain"]


class CardError(ValueError):
    """The assistant's `metadata.a2a` asks for something a card cannot say."""


def _modes(a2a: dict[str, Any], key: str) -> list[str]:
    value = a2a.get(key)
    if value is None:
        return DEFAULT_MODES
    if not isinstance(value, list) or not value or not all(isinstance(m, str) and m for m in value):
        raise CardError(f"metadata.a2a.{key} must be a non-empty list of media types")
    return value


def agent_card(
    *, assistant_id: str, name: str, description: str | None, metadata: dict[str, Any], url: str,
    input_schema: dict[str, Any] | None, server_version: str,
) -> dict[str, Any]:
    a2a = metadata.get("a2a") if isinstance(metadata.get("a2a"), dict) else {}
    assert isinstance(a2a, dict)
    input_modes, output_modes = _modes(a2a, "input_modes"), _modes(a2a, "output_modes")
    described = description or f"{name} assistant"
    properties = (input_schema or {}).get("properties") or {}
    return {
        "name": name,
        "description": described,
        "url": url,
        "protocolVersion": "0.3.0",
        "preferredTransport": "JSONRPC",
        "supportedInterfaces": [
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": V1},
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": V03},
        ],
        "capabilities": {
            "streaming": True,
            "pushNotifications": False,
            "stateTransitionHistory": False,
            "extensions": [{
                "uri": HISTORY_SCOPE_EXTENSION,
                "description": "Choose task-only or full-context response history",
                "required": False,
                "params": {"header": HISTORY_SCOPE_HEADER, "values": ["context", "task"], "default": "context",
                           "methods": ["SendMessage", "GetTask", "ListTasks"]},
            }],
        },
        "defaultInputModes": input_modes,
        "defaultOutputModes": output_modes,
        "skills": [{
            "id": f"{assistant_id}-main",
            "name": f"{name} Capabilities",
            "description": described,
            "tags": ["assistant", "langgraph"],
            "examples": [],
            "inputModes": input_modes,
            "outputModes": output_modes,
            "metadata": {"inputSchema": {
                "required": list((input_schema or {}).get("required") or []),
                "properties": sorted(properties),
                "supportsA2A": "messages" in properties,
            }},
        }],
        "version": server_version,
    }

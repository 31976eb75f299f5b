"""State values as v3 clients read them: message objects (LangChain's `model_dump`
shape) reduced to the protocol's message dicts, recursively; plain dicts with a `role`
pass through unchanged."""

from __future__ import annotations

from typing import Any

MESSAGE_TYPES = {
    "human": "human", "user": "human", "ai": "ai", "assistant": "ai", "tool": "tool", "system": "system",
    "function": "function", "remove": "remove", "AIMessageChunk": "ai", "HumanMessageChunk": "human",
    "ToolMessageChunk": "tool", "SystemMessageChunk": "system", "FunctionMessageChunk": "function",
}
STANDARD_BLOCKS = frozenset({
    "text", "reasoning", "image", "audio", "video", "file", "text-plain", "tool_call", "tool_call_chunk",
    "invalid_tool_call", "server_tool_call", "server_tool_call_chunk", "server_tool_result", "non_standard",
})
_OPTIONAL = ("id", "name", "example", "tool_call_id", "status", "artifact")


def _is_message(value: dict[str, Any]) -> bool:
    return "content" in value and value.get("type") in MESSAGE_TYPES and "role" not in value


def _block(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind == "image_url":
        return {**{k: v for k, v in block.items() if k != "image_url"}, "type": "image",
                "url": (block.get("image_url") or {}).get("url") if isinstance(block.get("image_url"), dict) else block.get("image_url")}
    if kind == "input_audio":
        audio = block.get("input_audio")
        return {"type": "audio", **{k: v for k, v in block.items() if k not in ("type", "input_audio")},
                **(audio if isinstance(audio, dict) else {})}
    if kind in STANDARD_BLOCKS:
        return block
    return {"type": "non_standard", "value": block}


def _tool_call(call: Any) -> Any:
    if not isinstance(call, dict):
        return call
    return {"type": "tool_call", "name": call.get("name"), "args": call.get("args"), "id": call.get("id")}


def message(value: dict[str, Any]) -> dict[str, Any]:
    content = value.get("content")
    out: dict[str, Any] = {
        "type": MESSAGE_TYPES[value["type"]],
        "content": [_block(b) for b in content] if isinstance(content, list) else content,
    }
    for key in _OPTIONAL:
        if value.get(key) is not None and not (key == "example" and value[key] is False):
            out[key] = value[key]
    if value.get("response_metadata"):
        out["response_metadata"] = value["response_metadata"]
    for key in ("tool_calls", "invalid_tool_calls"):
        if value.get(key):
            out[key] = [_tool_call(c) for c in value[key]] if key == "tool_calls" else value[key]
    return out


def normalize(value: Any) -> Any:
    """`value` with every message in it in the protocol's shape."""
    if isinstance(value, dict):
        if _is_message(value):
            return message(value)
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value

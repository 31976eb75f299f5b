"""An A2A message as what a run takes (reference v3-mcp-a2a §3.3): its text and files
become one LangChain message (the A2A message is one message, so its id is kept), its
data parts are merged into the graph's input; or, answering a task that waits for
input, a `Command(resume=…)`."""

from __future__ import annotations

from typing import Any

import msgspec

from .wire import Message, Part

STAMP = "a2a"  # the key of the task stamp in run metadata and in a message's additional_kwargs


def _file_block(part: Part) -> dict[str, Any]:
    """A file part as a LangChain content block (a URL is passed on, never fetched)."""
    file = part.file
    data = file.bytes if file is not None else part.raw
    url = file.uri if file is not None else part.url
    mime = (file.mime_type if file is not None else part.media_type) or "application/octet-stream"
    name = file.name if file is not None else part.filename
    kind = mime.split("/", 1)[0]
    block: dict[str, Any] = {"type": kind if kind in ("image", "audio", "video") else "file", "mime_type": mime}
    if data is not None:
        block["base64"] = data
    else:
        block["url"] = url
    if name:
        block["extras"] = {"filename": name}
    return block


def conversational(message: Message) -> bool:
    """Whether the message says something (text, files), not only data."""
    return any(part.kind() in ("text", "file") for part in message.parts)


def chat_message(message: Message, stamp: dict[str, Any]) -> dict[str, Any] | None:
    """The text and files of the message as one LangChain message, stamped with the task
    it belongs to; None if it has neither."""
    texts = [p.text for p in message.parts if p.text is not None]
    files = [_file_block(p) for p in message.parts if p.kind() == "file"]
    if not texts and not files:
        return None
    content: Any = texts[0] if len(texts) == 1 and not files else [
        *({"type": "text", "text": t} for t in texts), *files,
    ]
    role = "assistant" if message.from_agent else "human"
    return {"role": role, "content": content, "id": message.message_id, "additional_kwargs": {STAMP: stamp}}


def data(message: Message) -> dict[str, Any]:
    """The data parts merged, in order (each must be an object)."""
    merged: dict[str, Any] = {}
    for part in message.parts:
        if part.data is msgspec.UNSET:
            continue
        if not isinstance(part.data, dict):
            raise ValueError("a data part must hold a JSON object")
        merged.update(part.data)
    return merged


def run_input(message: Message, stamp: dict[str, Any]) -> dict[str, Any]:
    value = data(message)
    said = chat_message(message, stamp)
    if said is not None:
        value["messages"] = [*value.get("messages", []), said] if isinstance(value.get("messages"), list) else [said]
    return value


def resume_value(message: Message) -> tuple[bool, Any]:
    """(True, the value) if the message answers an interrupt: a data part with `resume`,
    or text (joined); (False, None) otherwise."""
    merged = data(message)
    if "resume" in merged:
        return True, merged["resume"]
    texts = [p.text for p in message.parts if p.text is not None]
    if texts:
        return True, "\n".join(texts)
    return False, None

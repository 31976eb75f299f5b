"""What A2A clients send (reference v3-mcp-a2a §3.2), read leniently: A2A 1.0 and 0.3
spell messages and parts differently (`ROLE_USER` or `user`; a file as `raw`/`url` or
as `{"kind": "file", "file": {…}}`), and both are taken on every method name. Unknown
fields (0.3's `kind`) are ignored."""

from __future__ import annotations

from typing import Any

import msgspec

from ..jsonrpc import INVALID_PARAMS, RpcError

# A2A's own JSON-RPC error codes
TASK_NOT_FOUND = -32001
TASK_NOT_CANCELABLE = -32002
UNSUPPORTED_OPERATION = -32004
CONTENT_TYPE_NOT_SUPPORTED = -32005

USER, AGENT = "ROLE_USER", "ROLE_AGENT"
_ROLES = {"ROLE_USER": USER, "user": USER, "ROLE_AGENT": AGENT, "agent": AGENT}


class FileContent(msgspec.Struct, rename="camel"):
    """A 0.3 file: its bytes (base64) or where it is."""

    bytes: str | None = None
    uri: str | None = None
    mime_type: str | None = None
    name: str | None = None


class Part(msgspec.Struct, rename="camel"):
    text: str | None = None
    data: Any = msgspec.UNSET
    raw: str | None = None  # 1.0: a file's bytes, base64
    url: str | None = None  # 1.0: where a file is
    media_type: str | None = None
    filename: str | None = None
    file: FileContent | None = None  # 0.3
    metadata: dict[str, Any] | None = None

    def kind(self) -> str:
        """text, data or file; raises if the part holds none or several."""
        present = [
            name for name, there in (
                ("text", self.text is not None), ("data", self.data is not msgspec.UNSET),
                ("file", self.file is not None or self.raw is not None or self.url is not None),
            ) if there
        ]
        if len(present) != 1:
            raise ValueError("a part holds exactly one of text, data or a file")
        return present[0]


    def as_v1(self) -> dict[str, Any]:
        """The part as A2A 1.0 spells it."""
        kind = self.kind()
        if kind == "text":
            return {"text": self.text}
        if kind == "data":
            return {"data": self.data}
        file = self.file
        data, url = (file.bytes, file.uri) if file is not None else (self.raw, self.url)
        found: dict[str, Any] = {"raw": data} if data is not None else {"url": url}
        mime, name = (file.mime_type, file.name) if file is not None else (self.media_type, self.filename)
        if mime:
            found["mediaType"] = mime
        if name:
            found["filename"] = name
        return found


class Message(msgspec.Struct, rename="camel"):
    message_id: str
    role: str
    parts: list[Part]
    context_id: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None
    command: dict[str, Any] | None = None  # LangGraph's extension: a `Command` to resume with

    @property
    def from_agent(self) -> bool:
        return _ROLES[self.role] == AGENT


class Configuration(msgspec.Struct, rename="camel"):
    history_length: int | None = None
    return_immediately: bool | None = None  # 1.0
    blocking: bool | None = None  # 0.3 (false: answer at once)
    accepted_output_modes: list[str] | None = None


class SendParams(msgspec.Struct, rename="camel"):
    message: Message
    configuration: Configuration | None = None
    metadata: dict[str, Any] | None = None
    history_scope: str | None = None

    @property
    def wait(self) -> bool:
        config = self.configuration
        return config is None or not (config.return_immediately or config.blocking is False)


class TaskQuery(msgspec.Struct, rename="camel"):
    id: str
    history_length: int | None = None
    history_scope: str | None = None
    metadata: dict[str, Any] | None = None


class ListParams(msgspec.Struct, rename="camel"):
    context_id: str | None = None
    status: str | None = None
    page_size: int = 50
    page_token: str | None = None
    history_length: int | None = None
    history_scope: str | None = None
    include_artifacts: bool = False
    status_timestamp_after: str | None = None


def params_as(kind: type[Any], params: dict[str, Any], request_id: Any) -> Any:
    """`params` read as `kind`, or an invalid-params error saying what is wrong."""
    try:
        value = msgspec.convert(params, kind)
    except msgspec.ValidationError as exc:
        raise RpcError(INVALID_PARAMS, f"Invalid params: {exc}", request_id) from None
    if isinstance(value, SendParams):
        check_message(value.message, request_id)
    return value


def check_message(message: Message, request_id: Any) -> None:
    if message.role not in _ROLES:
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown role {message.role!r}", request_id)
    for part in message.parts:
        try:
            part.kind()
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, f"Invalid params: {exc}", request_id) from None

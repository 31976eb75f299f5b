"""Command envelopes and their replies (`{"type":"success"|"error",…}`), and the error
codes of the protocol (langchain-protocol's CDDL, plus `resume_gap`)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from langchain_protocol.protocol import ErrorResponse

ErrorCode = Literal[
    "invalid_argument", "unknown_command", "unknown_error", "no_such_run", "no_such_subscription",
    "no_such_interrupt", "unsupported", "resume_gap", "permission_denied",
]
BAD_ENVELOPE = "Protocol commands must include an integer id and string method."
BAD_JSON = "Protocol commands must be valid JSON."


class ProtocolError(Exception):
    """A command that cannot be carried out: its reply is an error envelope."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class CommandReply(msgspec.Struct, omit_defaults=True):
    """The reply to a v3 command: `success` with its `result` and
    `meta.applied_through_seq`, or `error` with an error code and a message."""

    type: Literal["success", "error"]
    id: int | None
    result: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    error: str | None = None
    message: str | None = None


class Command(msgspec.Struct):
    id: int
    method: str
    params: dict[str, Any]


def parse_command(value: Any) -> Command:
    """A decoded JSON value as a command; `ProtocolError` (with the id as sent, if any) if
    it is no command envelope."""
    if not isinstance(value, dict):
        raise ProtocolError("invalid_argument", BAD_ENVELOPE)
    cid, method, params = value.get("id"), value.get("method"), value.get("params")
    if type(cid) is not int or not isinstance(method, str):
        raise ProtocolError("invalid_argument", BAD_ENVELOPE, id=cid if _jsonish_id(cid) else None)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ProtocolError("invalid_argument", "Protocol command params must be an object.", id=cid)
    return Command(cid, method, params)


def _jsonish_id(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool)


def success(command_id: int, result: dict[str, Any], applied_through_seq: int) -> dict[str, Any]:
    return {"type": "success", "id": command_id, "result": result, "meta": {"applied_through_seq": applied_through_seq}}


def error(command_id: Any, exc: ProtocolError) -> dict[str, Any]:
    reply: ErrorResponse = {"type": "error", "id": command_id, "error": exc.code, "message": exc.message}  # type: ignore[typeddict-item]
    return {**reply, **{k: v for k, v in exc.extra.items() if k != "id"}}

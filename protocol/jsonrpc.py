"""JSON-RPC 2.0 envelopes, as `/mcp` and `/a2a/{assistant_id}` read and answer them.

One message per request: a JSON array (a batch) is refused as a whole with one error,
since neither MCP (since 2025-06-18) nor A2A takes batches; anything that is not a
request, a notification or a response gets an error object naming what is wrong, with
the request's id when it has a usable one. Nothing here raises anything else, whatever
the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from .bodies import Body

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

RequestId = str | int


class RpcError(Exception):
    """An error to answer with: its code, its message, and the id of the request it
    answers (None when the request had none, or one that is not usable)."""

    def __init__(self, code: int, message: str, request_id: RequestId | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    method: str
    params: Any  # as sent: the methods check its shape
    id: RequestId | None  # None: a notification, answered with nothing

    @property
    def notification(self) -> bool:
        return self.id is None


@dataclass(frozen=True)
class Reply:
    """A response the client sent us (id plus result or error): nothing to answer."""

    id: RequestId | None


def _usable_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def parse(raw: bytes) -> Request | Reply:
    """The message in a request body; raises `RpcError` for anything else."""
    try:
        message = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested too deep to read
        raise RpcError(PARSE_ERROR, "Parse error: the body is not JSON") from None
    if isinstance(message, list):
        raise RpcError(INVALID_REQUEST, "Invalid Request: batches are not supported; send one message per request")
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request: a message is a JSON object")
    has_id = "id" in message
    request_id = message.get("id") if _usable_id(message.get("id")) else None
    if message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"', request_id)
    if has_id and request_id is None:
        raise RpcError(INVALID_REQUEST, "Invalid Request: an id is a string or an integer")
    if "method" not in message:
        if has_id and ("result" in message or "error" in message):
            return Reply(request_id)
        raise RpcError(INVALID_REQUEST, "Invalid Request: neither a request, a notification nor a response", request_id)
    if not isinstance(message["method"], str):
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "method" must be a string', request_id)
    return Request(message["method"], message.get("params"), request_id)


def object_params(request: Request) -> dict[str, Any]:
    """The request's params, which must be an object (absent: empty)."""
    if request.params is None:
        return {}
    if not isinstance(request.params, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: expected an object", request.id)
    return request.params


def result(request_id: RequestId | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: RequestId | None, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def error_of(exc: RpcError) -> dict[str, Any]:
    return error(exc.request_id, exc.code, exc.message)


class Message(msgspec.Struct, kw_only=True):
    """A JSON-RPC 2.0 request, as the API description shows the body of `/mcp` and
    `/a2a/{assistant_id}` (the routes read any bytes and answer JSON-RPC errors)."""

    jsonrpc: Literal["2.0"]
    method: str
    id: str | int | None = None
    params: dict[str, Any] | None = None


MESSAGE = Body("JsonRpcRequest", Message)
